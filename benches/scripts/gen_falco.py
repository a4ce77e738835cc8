#!/usr/bin/env python3
"""Writes a realistic Falco JSON-lines file for ingestion throughput runs.

Usage: gen_falco.py OUT.jsonl [MEGABYTES] (default 300)

The alerts follow Falco's documented JSON output (`json_output: true`,
`json_include_output_property`, `json_include_tags_property`): `output`,
`priority`, `rule`, `source`, `tags`, `time`, `hostname` and
`output_fields` with the fields the default rules print (`evt.*`, `proc.*`,
`fd.*`, `user.*`, `container.*`, `k8s.*`). The mix: shells and other execs
(one process event), sensitive reads and writes below binary directories
(process + file), outbound and inbound connections (process + network), a
few syscall-only alerts and Kubernetes audit alerts (skipped as not runtime
activity), over 40 nodes, 12 namespaces and 600 pods. Deterministic (fixed
seed), so before/after runs read the same bytes.
"""

import json
import random
import sys

out_path = sys.argv[1]
megabytes = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
limit = int(megabytes * 1024 * 1024)
rng = random.Random(42)

namespaces = [f"team-{i}" for i in range(12)]
apps = ["web", "api", "cart", "checkout", "payments", "search", "auth", "redis", "worker", "cron"]
pods = []
for i in range(600):
    ns = namespaces[i % len(namespaces)]
    app = apps[i % len(apps)]
    pods.append({
        "ns": ns,
        "pod": f"{app}-{rng.randrange(16**8):08x}-{rng.randrange(16**5):05x}",
        "app": app,
        "container": app,
        "cid": f"{rng.randrange(16**12):012x}",
        "image": f"registry.example.com/{ns}/{app}",
        "tag": f"v1.{i % 7}.{i % 3}",
        "node": f"node-{i % 40:02d}",
        "ip": f"10.{i % 40}.{(i * 7) % 250}.{(i * 13) % 250 + 2}",
    })
binaries = ["/usr/bin/bash", "/bin/sh", "/usr/bin/curl", "/usr/bin/cat", "/usr/bin/python3",
            "/usr/local/bin/app", "/usr/bin/wget", "/usr/bin/apt-get", "/usr/bin/touch", "/usr/bin/nc"]
parents = ["runc", "containerd-shim", "bash", "sh", "app", "python3"]
read_paths = ["/etc/shadow", "/etc/passwd", "/etc/sudoers", "/root/.ssh/id_rsa", "/etc/pam.d/common-auth",
              "/var/run/secrets/kubernetes.io/serviceaccount/token", "/proc/self/environ"]
write_dirs = ["/usr/bin", "/usr/sbin", "/bin", "/etc", "/usr/local/bin", "/var/lib/app"]
remote = ["10.96.0.1:443", "10.96.0.10:53", "52.12.88.4:443", "140.82.112.3:443", "10.2.3.4:6379",
          "10.8.0.7:5432", "185.199.108.133:443"]


def base(p, t_ns, rule, priority, evt_type, tags, fields):
    f = {
        "container.id": p["cid"],
        "container.image.repository": p["image"],
        "container.image.tag": p["tag"],
        "container.name": p["container"],
        "evt.time": t_ns,
        "evt.type": evt_type,
        "evt.hostname": p["node"],
        "k8s.ns.name": p["ns"],
        "k8s.pod.name": p["pod"],
        "k8s.pod.label[app]": p["app"],
        "k8s.pod.label[app.kubernetes.io/part-of]": "shop",
        "user.name": "root",
        "user.uid": 0,
        "user.loginuid": -1,
    }
    f.update(fields)
    secs, ns = divmod(t_ns, 1_000_000_000)
    h, m, s = (secs // 3600) % 24, (secs // 60) % 60, secs % 60
    detail = " ".join(f"{k}={v}" for k, v in list(fields.items())[:4])
    return {
        "hostname": p["node"],
        "output": f"{h:02d}:{m:02d}:{s:02d}.{ns:09d}: {priority} {rule} ({detail} "
                  f"container_id={p['cid']} image={p['image']} k8s.ns={p['ns']} k8s.pod={p['pod']})",
        "priority": priority,
        "rule": rule,
        "source": "syscall",
        "tags": tags,
        "time": f"2025-03-01T{h:02d}:{m:02d}:{s:02d}.{ns:09d}Z",
        "output_fields": f,
    }


def alert(t_ns):
    p = rng.choice(pods)
    b = rng.choice(binaries)
    name = b.rsplit("/", 1)[1]
    r = rng.random()
    proc = {"proc.exepath": b, "proc.name": name, "proc.pname": rng.choice(parents),
            "proc.tty": rng.choice([0, 34816])}
    if r < 0.50:
        proc["proc.cmdline"] = f"{name} -c {rng.choice(['id', 'ls -la /', 'env', 'cat /etc/hosts'])}"
        return base(p, t_ns, "Terminal shell in container", "Notice", "execve",
                    ["container", "shell", "mitre_execution"], proc)
    if r < 0.70:
        path = rng.choice(read_paths)
        proc["proc.cmdline"] = f"{name} {path}"
        proc.update({"fd.name": path, "fd.type": "file", "evt.arg.flags": "O_RDONLY|O_CLOEXEC",
                     "evt.res": "SUCCESS"})
        return base(p, t_ns, "Read sensitive file untrusted", "Warning", "openat",
                    ["filesystem", "mitre_credential_access"], proc)
    if r < 0.80:
        path = f"{rng.choice(write_dirs)}/file{rng.randrange(300)}"
        proc["proc.cmdline"] = f"{name} {path}"
        proc.update({"fd.name": path, "fd.type": "file",
                     "evt.arg.flags": "O_WRONLY|O_CREAT|O_TRUNC", "evt.res": "SUCCESS"})
        return base(p, t_ns, "Write below binary dir", "Error", "openat",
                    ["filesystem", "mitre_persistence"], proc)
    if r < 0.92:
        dst = rng.choice(remote)
        inbound = rng.random() < 0.3
        sport = rng.randrange(32768, 60999)
        conn = (f"10.9.{rng.randrange(250)}.{rng.randrange(250)}:{sport}->{p['ip']}:8080"
                if inbound else f"{p['ip']}:{sport}->{dst}")
        proc["proc.cmdline"] = f"{name} {dst}"
        proc.update({"fd.name": conn, "fd.type": "ipv4", "fd.l4proto": "tcp",
                     "evt.res": "SUCCESS"})
        return base(p, t_ns, "Unexpected outbound connection" if not inbound else "Unexpected inbound connection",
                    "Notice", "accept4" if inbound else "connect", ["network", "mitre_command_and_control"], proc)
    if r < 0.97:
        return base(p, t_ns, "Change thread namespace", "Notice", "setns",
                    ["process", "mitre_privilege_escalation"],
                    {"evt.args": "fd=5(<f>/proc/1/ns/net) nstype=0", "proc.pname": "runc"})
    return {
        "hostname": "falco-k8saudit",
        "output": "Notice Attach/Exec to pod (user=admin pod=%s ns=%s action=exec command=bash)" % (p["pod"], p["ns"]),
        "priority": "Notice",
        "rule": "Attach/Exec Pod",
        "source": "k8s_audit",
        "tags": ["k8s"],
        "time": "2025-03-01T12:00:00.000000000Z",
        "output_fields": {"evt.time": t_ns, "ka.target.name": p["pod"], "ka.target.namespace": p["ns"],
                          "ka.user.name": "admin", "ka.verb": "create"},
    }


written = 0
lines = 0
t = 1_740_830_400_000_000_000
with open(out_path, "w") as f:
    while written < limit:
        t += rng.randrange(1, 5_000_000)
        line = json.dumps(alert(t), separators=(",", ":")) + "\n"
        f.write(line)
        written += len(line)
        lines += 1
print(f"{out_path}: {lines} alerts, {written} bytes", file=sys.stderr)
