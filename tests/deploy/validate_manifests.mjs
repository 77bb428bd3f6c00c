// Validates rendered Kubernetes manifests offline, the way `kubectl apply --validate=strict` would
// against a 1.33 API server:
//   1. every object against the Kubernetes 1.33 OpenAPI schema (npm kubernetes-models: types,
//      enums, required fields, patterns; CRDs through @kubernetes-models/prometheus-operator and
//      @kubernetes-models/keda);
//   2. no unknown or misspelled field anywhere in a built-in object, walking the generated
//      attribute type maps of @kubernetes/client-node (the OpenAPI schemas alone allow extras);
//   3. no removed API version, and at least one object.
// Unknown fields inside CRD objects are not caught (no type maps for them).
//
// Usage: node validate_manifests.mjs NODE_MODULES_DIR FILE...   (multi-document YAML files)
// Prints one JSON object {"objects": [{"file","kind","name"}...], "errors": [...]} and exits 1 when
// there is any error, 2 on a usage problem.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, ...files] = process.argv.slice(2);
if (!nodeModules || files.length === 0) {
  console.error("usage: node validate_manifests.mjs NODE_MODULES_DIR FILE...");
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(join(nodeModules, rel)).href);

const YAML = (await load("yaml/dist/index.js")).default;
const k8s = await load("@kubernetes/client-node/dist/index.js");

const REMOVED = new Set([
  "extensions/v1beta1", "apps/v1beta1", "apps/v1beta2", "policy/v1beta1",
  "autoscaling/v2beta1", "autoscaling/v2beta2", "networking.k8s.io/v1beta1",
  "batch/v1beta1", "rbac.authorization.k8s.io/v1beta1",
]);
// CRD groups: their kubernetes-models package.
const CRD_PACKAGES = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "keda.sh": "@kubernetes-models/keda",
};

function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  if (group === null) return `kubernetes-models/${version}/${kind}.mjs`;
  const pkg = CRD_PACKAGES[group] ?? "kubernetes-models";
  return `${pkg}/${group}/${version}/${kind}.mjs`;
}

// client-node names built-in classes <Version><Kind>, e.g. V2HorizontalPodAutoscaler.
function clientClass(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  const name = version.charAt(0).toUpperCase() + version.slice(1) + kind;
  const cls = k8s[name];
  return cls && typeof cls.getAttributeTypeMap === "function" ? cls : null;
}

// Walks `value` as client-node type `type`, pushing "path: unknown field" errors.
function checkFields(value, type, path, errors) {
  if (value === null || value === undefined) return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (Array.isArray(value)) value.forEach((v, i) => checkFields(v, m[1], `${path}[${i}]`, errors));
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) checkFields(v, m[1], `${path}.${k}`, errors);
    return;
  }
  const cls = k8s[type];
  if (!cls || typeof cls.getAttributeTypeMap !== "function") return; // primitive, any, IntOrString
  if (typeof value !== "object" || Array.isArray(value)) return; // the schema check reports types
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attrs.has(k)) errors.push(`${path}.${k}: unknown field (not in ${type})`);
    else checkFields(v, attrs.get(k), `${path}.${k}`, errors);
  }
}

const objects = [];
const errors = [];
for (const file of files) {
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) { errors.push(`${file}: YAML: ${doc.errors[0].message}`); continue; }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue; // empty document between separators
    const where = `${file}: ${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
    objects.push({ file, kind: obj.kind, name: obj.metadata?.name });
    if (!obj.apiVersion || !obj.kind) { errors.push(`${where}: missing apiVersion or kind`); continue; }
    if (REMOVED.has(obj.apiVersion)) { errors.push(`${where}: ${obj.apiVersion} is removed from Kubernetes`); continue; }
    let Model;
    try {
      Model = (await load(modelPath(obj.apiVersion, obj.kind)))[obj.kind];
    } catch {
      errors.push(`${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}`);
      errors.push(`${where}: schema: ${details.length ? details.join("; ") : e.message}`);
    }
    const cls = clientClass(obj.apiVersion, obj.kind);
    if (cls) {
      const unknown = [];
      checkFields(obj, cls.name, obj.kind, unknown);
      for (const u of unknown) errors.push(`${where}: ${u}`);
    } else if (!(obj.apiVersion.split("/")[0] in CRD_PACKAGES)) {
      errors.push(`${where}: no field map for built-in ${obj.apiVersion} ${obj.kind}`);
    }
  }
}
if (objects.length === 0) errors.push("no Kubernetes objects found");
console.log(JSON.stringify({ objects, errors }, null, 1));
process.exit(errors.length ? 1 : 0);
