#!/usr/bin/env node
// Writes manifests/base as `aspirate generate --non-interactive --skip-build --disable-secrets
// --image-pull-policy IfNotPresent --include-dashboard false` (Aspirate 9.1.0) writes it for an Aspire manifest.
// Aspirate itself is the reference (README "Deploy to Kubernetes", manifests/README.md); this script exists because
// the tool cannot be installed everywhere (CI, the build machine), and it mirrors the tool's behaviour:
//   - kustomize output: one folder per project/container with deployment.yaml (statefulset.yaml when the
//     container has volumes), service.yaml and kustomization.yaml (env as a configMapGenerator), plus a top-level
//     kustomization.yaml listing the folders; parameter.v0 and value.v0 resources produce no files;
//   - expressions resolved as Aspirate resolves them: {r.bindings.b.host} is the resource name, .port the port
//     (else the target port), .url "http://r:targetPort" for an "http" binding, "" for "https" and "r:targetPort"
//     for any other binding; an http/https binding without a target port gets 8080/8443;
//   - env entries whose value resolves to "" are dropped; projects also get ASPNETCORE_URLS=http://+:8080;
//   - values go through Handlebars.Net's HTML encoder (& < > " ' ` =), exactly as Aspirate's templates write them
//     (prom3theu5/aspirational-manifests#253): overlays replace every value that encoding breaks;
//   - images of projects from the MSBuild container properties ([registry/]repository:tag, tag "latest" if none).
// One deliberate difference: Aspirate generates a random value for each generated secret parameter at every run;
// this script writes the fixed placeholder below, so the committed base does not change at each regeneration.
// The overlays take every secret from the Secret "aifactory-secrets" instead.
//
// Usage: node scripts/aspirate-base.mjs [manifests/aspire-manifest.json] [manifests/base] [--parameter name=value]...
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const GeneratedSecretPlaceholder = 'generated-by-aspirate';

const args = process.argv.slice(2);
const positional = [];
const parameters = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--parameter' || args[i] === '-pa') {
    const [name, ...value] = args[++i].split('=');
    parameters[name] = value.join('=');
  } else {
    positional.push(args[i]);
  }
}
const manifestPath = path.resolve(positional[0] ?? 'manifests/aspire-manifest.json');
const outputPath = path.resolve(positional[1] ?? 'manifests/base');
const resources = JSON.parse(fs.readFileSync(manifestPath, 'utf8')).resources;

// --- Aspirate's manifest handling -------------------------------------------------------------------------------
const deployable = new Set(['project.v0', 'container.v0', 'container.v1']);
const projectTypes = new Set(['project.v0']);

for (const resource of Object.values(resources)) {
  for (const [name, binding] of Object.entries(resource.bindings ?? {})) {
    if (!binding.targetPort && name.toLowerCase() === 'http') binding.targetPort = 8080;
    if (!binding.targetPort && name.toLowerCase() === 'https') binding.targetPort = 8443;
  }
}

function parameterValue(name) {
  const resource = resources[name];
  if (name in parameters) return parameters[name];
  const input = resource.inputs?.value;
  if (input?.default?.generate) return GeneratedSecretPlaceholder;
  if (input?.default?.value !== undefined) return input.default.value;
  if (resource.value !== undefined && !String(resource.value).includes('.inputs.')) return resolve(resource.value);
  throw new Error(`parameter '${name}' has no default: pass --parameter ${name}=<value> (as aspirate generate needs in non-interactive mode)`);
}

function binding(resourceName, bindingName, property) {
  const entry = resources[resourceName]?.bindings?.[bindingName];
  if (!entry) throw new Error(`unknown binding ${resourceName}.bindings.${bindingName}`);
  switch (property) {
    case 'host': return resourceName;
    case 'port': return String(entry.port || entry.targetPort);
    case 'targetPort': return String(entry.targetPort);
    case 'scheme': return entry.scheme;
    case 'url':
      if (bindingName === 'http') return `http://${resourceName}:${entry.targetPort}`;
      if (bindingName === 'https') return '';
      return `${entry.protocol === 'http' || entry.protocol === 'https' ? `${entry.protocol}://` : ''}${resourceName}:${entry.targetPort}`;
    default: throw new Error(`unknown binding property ${property}`);
  }
}

function resolve(text) {
  return String(text).replace(/\{([^{}]+)\}/g, (whole, expression) => {
    const parts = expression.split('.');
    const resource = resources[parts[0]];
    if (!resource) return whole;
    if (parts[1] === 'bindings') return binding(parts[0], parts[2], parts[3]);
    if (parts[1] === 'connectionString') return resolve(resource.connectionString ?? '');
    if (parts[1] === 'value' || (parts[1] === 'inputs' && parts[3] === 'value')) {
      return resource.type.startsWith('parameter') ? parameterValue(parts[0]) : resolve(resource.value ?? '');
    }
    throw new Error(`unsupported expression {${expression}}`);
  });
}

// Handlebars.Net's HtmlEncoder, which Aspirate's templates apply to every {{value}}.
const encode = value => String(value).replace(/[&<>"'`=]/g, c => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;',
})[c]);

function projectImage(name, project) {
  const projectPath = path.resolve(path.dirname(manifestPath), project.path);
  const output = execFileSync('dotnet', ['msbuild', projectPath, '-getProperty:ContainerRegistry',
    '-getProperty:ContainerRepository', '-getProperty:ContainerImageName', '-getProperty:ContainerImageTag'], { encoding: 'utf8' });
  const properties = JSON.parse(output).Properties;
  const repository = properties.ContainerRepository || (properties.ContainerImageName ? '' : name);
  const tag = (properties.ContainerImageTag || 'latest').split(';')[0];
  return [properties.ContainerRegistry, repository, properties.ContainerImageName].filter(Boolean).join('/') + `:${tag}`;
}

// --- Aspirate's templates, written out ------------------------------------------------------------------------
function deployment(d) {
  const lines = ['---', 'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: ${d.name}`, '  labels:', `    app: ${d.name}`,
    'spec:', '  minReadySeconds: 60', '  replicas: 1', '  selector:', '    matchLabels:', `      app: ${d.name}`,
    '  strategy:', '    type: Recreate', '  template:', '    metadata:', '      labels:', `        app: ${d.name}`,
    '    spec:', '      containers:', `      - name: ${d.name}`, `        image: ${encode(d.image)}`, '        imagePullPolicy: IfNotPresent'];
  if (d.entrypoint) lines.push('        command:', `          - ${encode(d.entrypoint)}`);
  if (d.args.length) lines.push('        args:', ...d.args.map(a => `        - ${encode(a)}`));
  if (d.ports.length) lines.push('        ports:', ...d.ports.flatMap(p => [`        - name: ${p.name}`, `          containerPort: ${p.internal}`]));
  if (Object.keys(d.env).length) lines.push('        envFrom:', '        - configMapRef:', `            name: ${d.name}-env`);
  lines.push('      terminationGracePeriodSeconds: 180');
  return lines.join('\n'); // the template ends without a newline
}

function statefulSet(d) {
  const lines = ['---', 'apiVersion: apps/v1', 'kind: StatefulSet', 'metadata:', `  name: ${d.name}`, '  labels:', `    app: ${d.name}`,
    'spec:', `  serviceName: "${d.name}"`, '  replicas: 1', '  selector:', '    matchLabels:', `      app: ${d.name}`,
    '  template:', '    metadata:', '      labels:', `        app: ${d.name}`, '    spec:', '      containers:',
    `        - name: ${d.name}`, `          image: ${encode(d.image)}`, '          imagePullPolicy: IfNotPresent'];
  if (d.entrypoint) lines.push('          command:', `            - ${encode(d.entrypoint)}`);
  if (d.args.length) lines.push('          args:', ...d.args.map(a => `            - '${encode(a)}'`));
  if (d.ports.length) lines.push('          ports:', ...d.ports.map(p => `            - containerPort: ${p.internal}`));
  if (Object.keys(d.env).length) lines.push('          envFrom:', '            - configMapRef:', `                name: ${d.name}-env`);
  lines.push('          volumeMounts:', ...d.volumes.flatMap(v => [`            - name: ${v.name}`, `              mountPath: ${v.target}`]));
  lines.push('  volumeClaimTemplates:', ...d.volumes.flatMap(v => [`    - metadata:`, `        name: ${v.name}`, '      spec:',
    '        accessModes: ["ReadWriteOnce"]', '        resources:', '          requests:', '            storage: 1Gi']));
  return lines.join('\n') + '\n';
}

function service(d) {
  if (!d.ports.length) return '';
  return ['---', 'apiVersion: v1', 'kind: Service', 'metadata:', `  name: ${d.name}`, 'spec:', '  type: ClusterIP', '  selector:',
    `    app: ${d.name}`, '  ports:', ...d.ports.flatMap(p => [`  - name: ${p.name}`, `    port: ${p.external || p.internal}`,
      `    targetPort: ${p.internal}`])].join('\n') + '\n';
}

function kustomization(manifests, d) {
  let text = ['resources:', ...manifests.map(m => `- ${m}`), '', 'generatorOptions:', '  disableNameSuffixHash: true', '', ''].join('\n');
  if (d && Object.keys(d.env).length) {
    text += ['configMapGenerator:', `- name: ${d.name}-env`, '  literals:',
      ...Object.entries(d.env).map(([key, value]) => `    - ${encode(key)}=${encode(value)}`),
      ...(d.isProject ? ['    - ASPNETCORE_URLS=http://+:8080;'] : []), ''].join('\n');
  }
  return text + '\n';
}

// --- Writing ----------------------------------------------------------------------------------------------------
fs.rmSync(outputPath, { recursive: true, force: true });
fs.mkdirSync(outputPath, { recursive: true });
const folders = [];
for (const [name, resource] of Object.entries(resources)) {
  if (!deployable.has(resource.type)) continue;
  const isProject = projectTypes.has(resource.type);
  const env = {};
  for (const [key, value] of Object.entries(resource.env ?? {})) {
    const resolved = resolve(value);
    if (resolved !== '') env[key] = resolved;
  }
  const volumes = (resource.volumes ?? []).map(v => ({
    name: (v.name || `${name}-${v.target}`).replaceAll('/', '-').replaceAll('.', '-').replaceAll('--', '-').toLowerCase(),
    target: v.target,
  }));
  const data = {
    name: name.toLowerCase(), isProject, env, volumes,
    image: (isProject ? projectImage(name, resource) : resource.image).toLowerCase(),
    entrypoint: resource.entrypoint, args: resource.args ?? [],
    ports: Object.entries(resource.bindings ?? {}).map(([bindingName, b]) => ({ name: bindingName, internal: b.targetPort ?? 0, external: b.port ?? 0 })),
  };
  const folder = path.join(outputPath, name);
  fs.mkdirSync(folder);
  const workload = volumes.length ? 'statefulset.yaml' : 'deployment.yaml';
  fs.writeFileSync(path.join(folder, workload), volumes.length ? statefulSet(data) : deployment(data));
  fs.writeFileSync(path.join(folder, 'service.yaml'), service(data));
  fs.writeFileSync(path.join(folder, 'kustomization.yaml'), kustomization([workload, 'service.yaml'], data));
  folders.push(name);
  console.log(`aspirate-base: ${path.relative(process.cwd(), folder)}`);
}
fs.writeFileSync(path.join(outputPath, 'kustomization.yaml'), kustomization(folders, null));
