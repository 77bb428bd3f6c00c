// Validates rendered Kubernetes manifests offline, the way `kubectl apply --validate=strict` would
// against a 1.33 API server:
//   1. every object against the Kubernetes 1.33 OpenAPI schema (npm kubernetes-models: types,
//      enums, required fields, patterns; CRDs through @kubernetes-models/prometheus-operator and
//      @kubernetes-models/keda);
//   2. no unknown or misspelled field anywhere in a built-in object, walking the generated
//      attribute type maps of @kubernetes/client-node (the OpenAPI schemas alone allow extras);
//   3. no removed API version, and at least one object;
//   4. Argo Rollouts objects (argoproj.io, @kubernetes-models/argo-rollouts): no field outside the
//      CRD's OpenAPI schema, walked like (2); a Rollout's pod template (spec.template) is checked
//      as a Kubernetes 1.33 PodTemplateSpec instead, since Argo Rollouts creates the pods from it.
// Unknown fields inside other CRD objects (ServiceMonitor, ScaledObject) are not caught: their
// packages ship compiled validators, not schemas to walk.
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
  "argoproj.io": "@kubernetes-models/argo-rollouts",
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

// The OpenAPI schema of an argoproj.io kind, read from its model module in the pinned package,
// which declares it as one JSON literal (`const schema = {...};`).
function argoSchema(apiVersion, kind) {
  const text = readFileSync(join(nodeModules, modelPath(apiVersion, kind)), "utf8");
  const start = text.indexOf("const schema = ");
  const end = text.indexOf("\n};\n", start);
  if (start < 0 || end < 0) throw new Error(`no schema literal in ${modelPath(apiVersion, kind)}`);
  return JSON.parse(text.slice(start + "const schema = ".length, end + 2));
}

// Walks `value` as JSON schema `schema`, pushing "path: unknown field" errors for keys that an
// object schema with `properties` does not list (what the API server's pruning would drop).
// `at` maps a path to a checker that replaces the walk below it.
function checkSchemaFields(value, schema, path, errors, at) {
  if (value === null || value === undefined || !schema) return;
  if (at[path]) return at[path](value, path, errors);
  if (schema.$ref) {
    if (schema.$ref.startsWith("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")) checkFields(value, "V1ObjectMeta", path, errors);
    return;
  }
  for (const branch of [...(schema.oneOf ?? []), ...(schema.anyOf ?? []), ...(schema.allOf ?? [])]) {
    if (branch.$ref || branch.properties || branch.items) checkSchemaFields(value, branch, path, errors, at);
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => checkSchemaFields(v, schema.items, `${path}[${i}]`, errors, at));
    return;
  }
  if (typeof value !== "object") return;
  if (schema.properties) {
    for (const [k, v] of Object.entries(value)) {
      if (k in schema.properties) checkSchemaFields(v, schema.properties[k], `${path}.${k}`, errors, at);
      else if (typeof schema.additionalProperties === "object") checkSchemaFields(v, schema.additionalProperties, `${path}.${k}`, errors, at);
      else if (schema.additionalProperties !== true && !schema["x-kubernetes-preserve-unknown-fields"]) {
        errors.push(`${path}.${k}: unknown field (not in the CRD schema)`);
      }
    }
  } else if (typeof schema.additionalProperties === "object") {
    for (const [k, v] of Object.entries(value)) checkSchemaFields(v, schema.additionalProperties, `${path}.${k}`, errors, at);
  }
}

// A pod template, validated as the Kubernetes 1.33 API server would for a Deployment's.
async function checkPodTemplate(template, path, errors) {
  const { PodTemplate } = await load("kubernetes-models/v1/PodTemplate.mjs");
  try {
    new PodTemplate({ metadata: { name: "template" }, template }).validate();
  } catch (e) {
    const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}`);
    errors.push(`${path}: schema: ${details.length ? details.join("; ") : e.message}`);
  }
  checkFields(template, "V1PodTemplateSpec", path, errors);
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
    } else if (obj.apiVersion.split("/")[0] === "argoproj.io") {
      const problems = [];
      const pending = [];
      const at = obj.kind === "Rollout"
        ? { [`${obj.kind}.spec.template`]: (v, p, errs) => pending.push(checkPodTemplate(v, p, errs)) }
        : {};
      checkSchemaFields(obj, argoSchema(obj.apiVersion, obj.kind), obj.kind, problems, at);
      await Promise.all(pending);
      for (const u of problems) errors.push(`${where}: ${u}`);
    } else if (!(obj.apiVersion.split("/")[0] in CRD_PACKAGES)) {
      errors.push(`${where}: no field map for built-in ${obj.apiVersion} ${obj.kind}`);
    }
  }
}
if (objects.length === 0) errors.push("no Kubernetes objects found");
console.log(JSON.stringify({ objects, errors }, null, 1));
process.exit(errors.length ? 1 : 0);
