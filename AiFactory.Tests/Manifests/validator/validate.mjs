// Reads Kubernetes objects as YAML (what `kubectl kustomize` prints) from stdin, validates each against the
// Kubernetes OpenAPI schema (npm kubernetes-models; @kubernetes-models/prometheus-operator for the monitoring CRDs)
// and prints {"objects": [...], "errors": ["Kind/name: message", ...]} as JSON, so the tests get the objects too.
// Kinds no served package models (the VerticalPodAutoscaler) are checked against a JSON schema in schemas/.
import { readFileSync, existsSync } from 'node:fs';
import Ajv from 'ajv';
import { parseAllDocuments } from 'yaml';

const packages = { 'monitoring.coreos.com': '@kubernetes-models/prometheus-operator' };
const ajv = new Ajv({ allErrors: true, strict: false });

function schemaModelFor(apiVersion, kind) {
  const path = new URL(`./schemas/${apiVersion.replace('/', '-')}-${kind}.json`, import.meta.url);
  if (!existsSync(path)) return undefined;
  const check = ajv.compile(JSON.parse(readFileSync(path, 'utf8')));
  return class {
    constructor(object) { this.object = object; }
    validate() {
      if (!check(this.object)) throw new Error(ajv.errorsText(check.errors, { dataVar: kind }));
    }
  };
}

async function modelFor(apiVersion, kind) {
  const local = schemaModelFor(apiVersion, kind);
  if (local) return local;
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const module = `${packages[group] ?? 'kubernetes-models'}/${apiVersion}/${kind}`;
  try {
    return (await import(module))[kind];
  } catch (error) {
    throw new Error(`no schema for ${apiVersion} ${kind} (${module}): ${error.message}`);
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;

const objects = [];
const errors = [];
for (const document of parseAllDocuments(input)) {
  if (document.errors.length) {
    errors.push(`YAML: ${document.errors.map(e => e.message).join('; ')}`);
    continue;
  }
  const object = document.toJS();
  if (!object) continue;
  objects.push(object);
  const name = `${object.kind}/${object.metadata?.name}`;
  try {
    const Model = await modelFor(object.apiVersion, object.kind);
    new Model(object).validate();
  } catch (error) {
    errors.push(`${name}: ${error.message}`);
  }
}

process.stdout.write(JSON.stringify({ objects, errors }));
