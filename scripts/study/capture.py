#!/usr/bin/env python3
"""The exact prompts `kubescribe eval` sends for each sample of a dataset (issue 25).

Starts a stand-in OpenAI-compatible server on 127.0.0.1 that records every chat request and
answers with the request's number, runs `kubescribe eval --backend openai:capture=URL` on the
dataset with the given prompt options (template, few-shot examples and bank, answer form: JSON
when decoding is constrained, YAML with --no-constrain), and pairs each sample id with the
messages it was sent (through the numbers in eval's generations file). No model runs.

The fine-tuning data is built from these prompts, so the model is trained on the prompts the
product builds (`generate`'s and `eval`'s builder), and the study's regeneration rows are scored
through `kubescribe eval --backend replay:` keyed by them.

    python3 scripts/study/capture.py --dataset target/study/data/train.jsonl --out prompts.jsonl \
        --template zero-shot --few-shot 0 [--no-constrain] [--examples target/study/data/bank]

Writes JSONL lines {"id", "messages"}.
"""

import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: list = []
    lock = threading.Lock()

    def log_message(self, *a):  # quiet
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "capture", "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        with Recorder.lock:
            i = len(Recorder.requests)
            Recorder.requests.append(req.get("messages") or req.get("prompt"))
        text = f"capture-{i}"
        if req.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            ev = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": 0, "completion_tokens": 1}}
            self.wfile.write(f"data: {json.dumps(ev)}\n\ndata: [DONE]\n\n".encode())
            return
        body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 0, "completion_tokens": 1}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def capture(binary: str, dataset: Path, template: str, few_shot: int, examples: Path | None,
            constrain: bool) -> dict[str, list]:
    """{sample id: chat messages} as eval builds them."""
    Recorder.requests = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    with tempfile.TemporaryDirectory() as out:
        cmd = [binary, "eval", "--dataset", str(dataset), "--backend", f"openai:capture={url}",
               "--template", template, "--few-shot", str(few_shot), "--out", out, "-q", "--force"]
        if examples:
            cmd += ["--examples", str(examples)]
        if not constrain:
            cmd.append("--no-constrain")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        gens = [json.loads(l) for l in next(Path(out).glob("generations-*.jsonl")).read_text().splitlines() if l.strip()]
    srv.shutdown()
    got = {}
    for g in gens:
        i = int(g["output"].removeprefix("capture-"))
        got[g["id"]] = Recorder.requests[i]
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--template", default="zero-shot")
    ap.add_argument("--few-shot", type=int, default=0)
    ap.add_argument("--examples", type=Path)
    ap.add_argument("--no-constrain", action="store_true")
    ap.add_argument("--kubescribe", default=os.environ.get("KUBESCRIBE_BIN", str(ROOT / "target/release/kubescribe")))
    a = ap.parse_args()
    got = capture(a.kubescribe, a.dataset, a.template, a.few_shot, a.examples, not a.no_constrain)
    with a.out.open("w") as f:
        for k in sorted(got):
            f.write(json.dumps({"id": k, "messages": got[k]}) + "\n")
    print(f"{len(got)} prompt(s) -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
