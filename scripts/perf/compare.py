#!/usr/bin/env python3
"""Whole-process speed of kubescribe against the tools a user would otherwise run,
measured in the same run on the same inputs, alternating runs, median ratios.

    python3 scripts/perf/compare.py validate [--rounds 5] [--times 1,10] [--cpu 0] [--baseline BIN]
    python3 scripts/perf/compare.py ingest FALCO.jsonl [--rounds 3] [--cpu 0] [--baseline OTHER/ingest_file]
    python3 scripts/perf/compare.py context [--sizes 10000,1000000] [--rounds 7]

`validate`: the corpus's policy files (KUBESCRIBE_CORPUS, default ../shared/corpus:
every file under policies/ with a policy document, per INDEX.json), once and 10
times over, validated by
  * kubescribe   -- target/release/examples/validate_files (the `kubescribe validate`
                    path: read, built-in schemas, API-server rules, layer 4, report lines),
                    `cargo build --release -p kubescribe-validate --example validate_files`;
  * py-jsonschema -- PyYAML `safe_load_all` + python-jsonschema (Draft 4, the dialect of
                    CRD schemas) against the upstream CRDs' openAPIV3Schema;
  * jsonschema-rs -- PyYAML + the `jsonschema_rs` Python binding, same schemas;
  * the same two with PyYAML's C loader (`+libyaml`: `CSafeLoader`);
  * kubernetes-validate -- `kubernetes_validate.validate(doc, "1.33", strict=True)`
                    (built-in kinds only: it reports the CRD kinds as unknown).
`context`: one workload's `context` (target/release/examples/context_scope) on stores of
10k and 1M events where the workload's own events are the same 1,000.
`ingest`: records/s of target/release/examples/ingest_file against a Python baseline
(`json.loads` per line + `executemany` into SQLite, one transaction), and `wc -l`, wall and
CPU time (user + system); `--baseline` times another ingest_file build in the same rounds.

Every command runs pinned to one CPU (`taskset -c CPU`), rounds alternate the tools,
the median wall time of each is reported with the ratio to kubescribe's.
Python peers: `python3 -m venv /tmp/perfvenv && /tmp/perfvenv/bin/pip install pyyaml
jsonschema jsonschema-rs kubernetes-validate` (PYTHON=/tmp/perfvenv/bin/python3).
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYTHON = os.environ.get("PYTHON", "/tmp/perfvenv/bin/python3" if pathlib.Path("/tmp/perfvenv/bin/python3").exists() else sys.executable)

UPSTREAM_SCHEMAS = [
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorPolicy.yaml",
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorHostPolicy.yaml",
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorClusterPolicy.yaml",
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorNetworkPolicy.yaml",
    "crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpolicies.yaml",
    "crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpoliciesnamespaced.yaml",
    "crds/cilium/metio-kube-custom-resources-rs/crd-catalog/cilium/cilium/cilium.io/v2/ciliumnetworkpolicies.yaml",
    "crds/cilium/metio-kube-custom-resources-rs/crd-catalog/cilium/cilium/cilium.io/v2/ciliumclusterwidenetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_networkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_globalnetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_stagednetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_stagedglobalnetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_stagedkubernetesnetworkpolicies.yaml",
    "crds/k8s-networkpolicy/derived/io.k8s.api.networking.v1.NetworkPolicy.openapi-v3-fragment.json",
]


def corpus():
    c = os.environ.get("KUBESCRIBE_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    return pathlib.Path(c).resolve()


def policy_files(root):
    index = json.loads((root / "INDEX.json").read_text())
    out = []
    for f in index["files"]:
        p = f["corpus_path"]
        if p.startswith("policies/") and "docs" in f and any(d.get("engine") is not None for d in f["docs"]):
            out.append(str(root / p))
    return out


# ---------------------------------------------------------------- Python peers (worker side)

def load_schemas(root, loader):
    """(apiVersion, kind) -> openAPIV3Schema of the upstream CRDs (+ the NetworkPolicy
    OpenAPI fragment, its $refs resolved against its components)."""
    import yaml
    out = {}
    for rel in UPSTREAM_SCHEMAS:
        text = (root / rel).read_text()
        if rel.endswith(".json"):
            doc = json.loads(text)
            schemas = doc["components"]["schemas"]

            def resolve(node, depth=0):
                if isinstance(node, dict):
                    if "$ref" in node and depth < 40:
                        name = node["$ref"].rsplit("/", 1)[-1]
                        return resolve(schemas[name], depth + 1)
                    return {k: resolve(v, depth) for k, v in node.items()}
                if isinstance(node, list):
                    return [resolve(x, depth) for x in node]
                return node

            out[("networking.k8s.io/v1", "NetworkPolicy")] = resolve(schemas["io.k8s.api.networking.v1.NetworkPolicy"])
            continue
        for crd in yaml.load_all(text, Loader=loader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for v in spec["versions"]:
                schema = (v.get("schema") or {}).get("openAPIV3Schema")
                if schema:
                    out[(f"{spec['group']}/{v['name']}", spec["names"]["kind"])] = schema
    return {k: python_compatible(s) for k, s in out.items()}


def python_compatible(schema):
    """Go's `\\PC` / `\\P{C}` (not other-category), which Python's `re` and the
    binding's schema check lack, as an equivalent character class."""
    import re
    if isinstance(schema, dict):
        return {k: (re.sub(r"\\P(\{C\}|C)", r"[^\\x00-\\x1f\\x7f-\\x9f]", v)
                    if k == "pattern" and isinstance(v, str) else python_compatible(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [python_compatible(x) for x in schema]
    return schema


def worker(tool, list_file, root):
    import yaml
    files = pathlib.Path(list_file).read_text().split("\n")
    files = [f for f in files if f]
    docs = invalid = errors = 0
    # `+libyaml`: PyYAML's C loader (CSafeLoader), the fastest PyYAML can read.
    loader = yaml.CSafeLoader if tool.endswith("+libyaml") else yaml.SafeLoader
    tool = tool.removesuffix("+libyaml")
    if tool == "kubernetes-validate":
        import kubernetes_validate
        validate = None
    else:
        schemas = load_schemas(root, loader)
        if tool == "py-jsonschema":
            import jsonschema
            validators = {k: jsonschema.Draft4Validator(s) for k, s in schemas.items()}

            def count(v, d):
                return sum(1 for _ in v.iter_errors(d))
        else:
            import jsonschema_rs
            validators = {k: jsonschema_rs.Draft4Validator(s) for k, s in schemas.items()}

            def count(v, d):
                return sum(1 for _ in v.iter_errors(d))
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                stream = list(yaml.load_all(fh, Loader=loader))
        except Exception:
            errors += 1
            continue
        for d in stream:
            if not isinstance(d, dict):
                continue
            docs += 1
            if tool == "kubernetes-validate":
                try:
                    kubernetes_validate.validate(d, "1.33", strict=True)
                except Exception:
                    invalid += 1
                continue
            v = validators.get((d.get("apiVersion"), d.get("kind")))
            if v is None:
                invalid += 1
                continue
            n = count(v, d)
            if n:
                invalid += 1
    print(f"{docs} documents, {invalid} invalid, {errors} unreadable files")


# ---------------------------------------------------------------- driver

def run(cmd, cpu):
    full = (["taskset", "-c", str(cpu)] if cpu is not None else []) + cmd
    t = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{' '.join(full)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return dt, p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""


def run_cpu(cmd, cpu):
    """`run`, and the process's CPU time (user + system, from the children's rusage): less
    disturbed than wall time when other processes share the CPU."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    dt, line = run(cmd, cpu)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, used, line


def versions():
    out = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or ''}".strip(", ")}
    try:
        model = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
        if model:
            out["cpu"] = model[0]
    except OSError:
        pass
    code = ("import sys,importlib.metadata as m\n"
            "out=[sys.version.split()[0]]\n"
            "for p in ['PyYAML','jsonschema','jsonschema_rs','kubernetes-validate']:\n"
            "    try: out.append(p+' '+m.version(p))\n"
            "    except Exception: out.append(p+' (absent)')\n"
            "import yaml; out.append('libyaml' if yaml.__with_libyaml__ else 'no libyaml')\n"
            "print(', '.join(out))")
    out["python"] = subprocess.run([PYTHON, "-c", code], stdout=subprocess.PIPE, text=True).stdout.strip()
    out["rustc"] = subprocess.run(["rustc", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    return out


def report(name, samples, base):
    med = statistics.median(samples)
    ratio = med / base if base else float("nan")
    print(f"  {name:<22} median {med:8.3f} s  ({len(samples)} runs)  {ratio:6.1f}x kubescribe's time")


def cmd_validate(a):
    root = corpus()
    files = policy_files(root)
    binary = ROOT / "target" / "release" / "examples" / "validate_files"
    if not binary.exists():
        sys.exit(f"build it first: cargo build --release -p kubescribe-validate --example validate_files")
    tools = a.tools.split(",")
    for k in for_ints(a.times):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("\n".join(files * k) + "\n")
            lst = fh.name
        cmds = {"kubescribe": [str(binary), "--files-from", lst]}
        if a.baseline:
            # Another build of validate_files (e.g. the commit before a change), in the same rounds.
            cmds["kubescribe (baseline)"] = [a.baseline, "--files-from", lst]
        for t in tools:
            cmds[t] = [PYTHON, __file__, "worker", t, lst]
        times = {n: [] for n in cmds}
        cpu = {n: [] for n in cmds}
        last = {}
        for _ in range(a.rounds):
            for n, c in cmds.items():
                dt, used, line = run_cpu(c, a.cpu)
                times[n].append(dt)
                cpu[n].append(used)
                last[n] = line
        print(f"validate: {len(files)} files x {k}")
        base = statistics.median(times["kubescribe"])
        base_cpu = statistics.median(cpu["kubescribe"])
        for n in cmds:
            report(n, times[n], base)
            print(f"      CPU (user + system) median {statistics.median(cpu[n]):8.3f} s"
                  f"  {statistics.median(cpu[n]) / base_cpu:6.1f}x kubescribe's")
            print(f"      {last[n]}")
        os.unlink(lst)


def cmd_ingest(a):
    binary = ROOT / "target" / "release" / "examples" / "ingest_file"
    if not binary.exists():
        sys.exit("build it first: cargo build --release -p kubescribe-events --example ingest_file")
    lines = sum(1 for _ in open(a.file, "rb"))
    base_code = (
        "import json,sqlite3,sys\n"
        "db=sqlite3.connect(sys.argv[1]); db.execute('PRAGMA journal_mode=WAL')\n"
        "db.execute('CREATE TABLE IF NOT EXISTS ev (rule TEXT, ns TEXT, pod TEXT, exe TEXT, cmd TEXT, t INTEGER)')\n"
        "rows=[]\n"
        "with open(sys.argv[2],'rb') as f:\n"
        "    for l in f:\n"
        "        try: r=json.loads(l)\n"
        "        except ValueError: continue\n"
        "        o=r.get('output_fields') or {}\n"
        "        rows.append((r.get('rule'),o.get('k8s.ns.name'),o.get('k8s.pod.name'),o.get('proc.exepath'),o.get('proc.cmdline'),o.get('evt.time')))\n"
        "        if len(rows)>=10000: db.executemany('INSERT INTO ev VALUES (?,?,?,?,?,?)',rows); rows=[]\n"
        "db.executemany('INSERT INTO ev VALUES (?,?,?,?,?,?)',rows); db.commit()\n"
        "print('done')\n"
    )
    names = ["kubescribe"] + (["kubescribe (baseline)"] if a.baseline else []) + ["python json+sqlite", "wc -l"]
    times = {n: [] for n in names}
    cpu = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            for n in times:
                store = os.path.join(d, f"{n.split()[0]}-{r}.db")
                if n == "kubescribe":
                    cmd = [str(binary), store, a.file]
                elif n == "kubescribe (baseline)":
                    # Another build of ingest_file (e.g. the commit before a change), same rounds.
                    cmd = [a.baseline, store, a.file]
                elif n == "wc -l":
                    cmd = ["wc", "-l", a.file]
                else:
                    cmd = [PYTHON, "-c", base_code, store, a.file]
                dt, used, _ = run_cpu(cmd, a.cpu)
                times[n].append(dt)
                cpu[n].append(used)
                for ext in ("", "-wal", "-shm"):
                    try:
                        os.unlink(store + ext)
                    except OSError:
                        pass
    base = statistics.median(times["kubescribe"])
    base_cpu = statistics.median(cpu["kubescribe"])
    print(f"ingest: {a.file}, {lines} records, {os.path.getsize(a.file) / 1e6:.0f} MB")
    print(f"  kubescribe: {lines / base:,.0f} records/s (wall), {lines / base_cpu:,.0f} records/s (CPU)")
    for n in times:
        report(n, times[n], base)
        print(f"      CPU (user + system) median {statistics.median(cpu[n]):8.3f} s"
              f"  {statistics.median(cpu[n]) / base_cpu:6.1f}x kubescribe's")


def falco_line(t, ns, pod, app, binary):
    return json.dumps({"rule": "Run", "priority": "Notice", "output": "o", "source": "syscall",
                       "output_fields": {"evt.time": t, "k8s.ns.name": ns, "k8s.pod.name": pod,
                                         "k8s.pod.label.app": app, "proc.exepath": binary,
                                         "proc.cmdline": binary + " --run"}}) + "\n"


def cmd_context(a):
    """One workload's 1,000 events in a store of 10k and of 1M events (the rest: 1,000 other
    pods in 20 namespaces, every event a distinct row): the `context` of that workload."""
    ingest = ROOT / "target" / "release" / "examples" / "ingest_file"
    scope = ROOT / "target" / "release" / "examples" / "context_scope"
    if not ingest.exists() or not scope.exists():
        sys.exit("build them first: cargo build --release -p kubescribe-events --example ingest_file --example context_scope")
    sizes = [int(x) for x in a.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=a.tmp) as d:
        stores = {}
        for n in sizes:
            path = os.path.join(d, f"events-{n}.jsonl")
            with open(path, "w") as fh:
                for i in range(1000):
                    fh.write(falco_line(i, "shop", "web-0", "web", f"/usr/bin/web-{i}"))
                for i in range(n - 1000):
                    p = i % 1000
                    fh.write(falco_line(i, f"ns-{p % 20}", f"pod-{p}", f"app-{p}", f"/usr/bin/x-{i}"))
            store = os.path.join(d, f"store-{n}.db")
            dt, line = run([str(ingest), store, path], a.cpu)
            print(f"store of {n} events: ingested in {dt:.1f} s ({line.split(': ', 1)[-1]})")
            os.unlink(path)
            stores[n] = store
        times = {n: [] for n in sizes}
        last = {}
        for _ in range(a.rounds):
            for n in sizes:
                dt, line = run([str(scope), stores[n], "shop", "app=web"], a.cpu)
                times[n].append(dt)
                last[n] = line
        base = statistics.median(times[sizes[0]])
        print("context --namespace shop --selector app=web (whole process):")
        for n in sizes:
            med = statistics.median(times[n])
            print(f"  store of {n:>9,} events: median {med * 1000:7.1f} ms ({len(times[n])} runs), "
                  f"{med / base:4.2f}x the smallest; {last[n]}")
        for n in sizes:
            _, line = run([str(scope), "--snapshot", stores[n], "shop", "app=web"], a.cpu)
            print(f"  store of {n:>9,} events: {line}")


def for_ints(s):
    return [int(x) for x in s.split(",") if x]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], corpus())
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    v = sub.add_parser("validate")
    v.add_argument("--rounds", type=int, default=5)
    v.add_argument("--times", default="1,10", help="the file list repeated this many times (comma list)")
    v.add_argument("--tools", default="py-jsonschema,py-jsonschema+libyaml,jsonschema-rs,jsonschema-rs+libyaml,kubernetes-validate")
    v.add_argument("--cpu", type=int, default=0)
    v.add_argument("--baseline", help="another validate_files binary timed in the same rounds (before/after)")
    i = sub.add_parser("ingest")
    i.add_argument("file")
    i.add_argument("--rounds", type=int, default=3)
    i.add_argument("--cpu", type=int, default=0)
    i.add_argument("--baseline", help="another ingest_file binary timed in the same rounds (before/after)")
    c = sub.add_parser("context")
    c.add_argument("--sizes", default="10000,1000000")
    c.add_argument("--rounds", type=int, default=7)
    c.add_argument("--cpu", type=int, default=0)
    c.add_argument("--tmp", default="/tmp")
    a = ap.parse_args()
    for k, val in versions().items():
        print(f"# {k}: {val}")
    {"validate": cmd_validate, "ingest": cmd_ingest, "context": cmd_context}[a.what](a)


if __name__ == "__main__":
    main()
