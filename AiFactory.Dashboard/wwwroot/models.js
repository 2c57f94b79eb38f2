// The Models page's upload: the chosen file goes to the console's /models/{model}/upload as it is read from disk
// (XMLHttpRequest streams a File, and reports its progress, which fetch cannot do for a request body).
window.aifactoryModels = {
    upload(input, url, config, progress) {
        return new Promise(resolve => {
            const file = input.files && input.files[0];
            if (!file) {
                resolve({ status: 0, body: JSON.stringify({ error: "choose an .onnx file first" }) });
                return;
            }

            const form = new FormData();
            if (config) {
                form.append("config", config);
            }
            form.append("model", file, file.name);
            const request = new XMLHttpRequest();
            request.open("POST", url);
            request.setRequestHeader("X-AiFactory-Console", "upload");
            let reported = 0;
            request.upload.onprogress = event => {
                const now = Date.now();
                // At most five updates a second over the circuit, and always the last one.
                if (event.lengthComputable && (now - reported > 200 || event.loaded === event.total)) {
                    reported = now;
                    progress.invokeMethodAsync("Progress", event.loaded, event.total);
                }
            };
            request.onload = () => resolve({ status: request.status, body: request.responseText });
            request.onerror = () => resolve({ status: 0, body: JSON.stringify({ error: "the upload could not reach the console" }) });
            request.send(form);
        });
    }
};
