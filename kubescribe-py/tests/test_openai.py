"""The OpenAI-compatible backend end to end against a local fake server: model-based
intent parsing, the regeneration loop fed by the validator, batched generation."""

import http.server
import json
import threading

import pytest

import kubescribe
from conftest import EXAMPLES

NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())


class FakeOpenAI:
    """Answers POST /v1/chat/completions with scripted replies, recording the request bodies."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((self.path, body))
                answer = fake.replies.pop(0) if fake.replies else ""
                out = json.dumps({"id": "x", "object": "chat.completion", "model": body.get("model"),
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": answer}}],
                                  "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})
                data = out.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_openai():
    servers = []

    def start(replies):
        s = FakeOpenAI(replies)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()


def test_a_model_parses_intents_with_bad_replies_fed_back(fake_openai):
    good = {"scope": {"namespace": "shop", "labels": {"app": "nginx"}}, "domain": "file",
            "action": "block", "resources": {"paths": ["/etc/shadow"]}}
    server = fake_openai(["Sure! {\"scope\": {\"namespace\": \"Shop!\"}}", json.dumps(good)])
    gen = kubescribe.Generator.openai(server.url, "tiny")
    parsed = kubescribe.parse_intent("Block writes to /etc/shadow for app=nginx in namespace shop", generator=gen)
    assert parsed.intent.to_dict() == kubescribe.Intent.from_dict(good).to_dict()
    first, second = parsed.attempts
    assert first["problems"] and not second["problems"] and second["completion_tokens"] == 7
    assert [path for path, _ in server.requests] == ["/v1/chat/completions"] * 2
    body = server.requests[0][1]
    assert body["model"] == "tiny" and body["messages"][0]["role"] == "system"
    # The model never producing a valid intent is a model error; an empty request an input error.
    bad = fake_openai(["no"] * 2)
    with pytest.raises(kubescribe.ModelError, match="no valid intent after 2"):
        kubescribe.parse_intent("block /etc for app=web in namespace shop",
                                generator=kubescribe.Generator.openai(bad.url), max_attempts=2)
    with pytest.raises(kubescribe.ParseError, match="empty intent"):
        kubescribe.parse_intent(" ", generator=gen)


def test_the_loop_feeds_validator_findings_back_to_the_model(fake_openai, nginx_store):
    policy = kubescribe.synthesize(NGINX)
    broken = policy.to_yaml().replace("name: ", "name: Not_A_Name-", 1)
    server = fake_openai([broken, "```yaml\n" + policy.to_yaml() + "```"])
    gen = kubescribe.Generator.openai(server.url, "tiny")
    result = kubescribe.Pipeline(gen, max_attempts=3, template="zero-shot").run(NGINX, store=nginx_store)
    assert result.status == "valid" and result.attempts == 2 and result.policy == policy
    retry_prompt = server.requests[1][1]["messages"][1]["content"]
    assert '"/metadata/name"' in retry_prompt
    [first, second] = result.attempt_records()
    assert (first["valid"], second["valid"]) == (False, True) and first["errors"] >= 1
    assert second["completion_tokens"] == 7
    # The trace's diagnostics and feedback use Diagnostic's keys (path, suggestion), not Rust's.
    t1, t2 = result.trace["attempts"]
    keys = set(kubescribe.validate(text=broken)[0].errors[0].to_dict())
    name = next(d for d in t1["diagnostics"] if d["path"] == "/metadata/name")
    assert set(name) == keys and name["suggestion"] and name["severity"] == "error"
    assert t2["feedback"] and all(set(f) == keys for f in t2["feedback"])
    assert "/metadata/name" in {f["path"] for f in t2["feedback"]}
    # ...so the trace's feedback can be handed back to build_prompt as it is.
    assert '"/metadata/name"' in kubescribe.build_prompt(NGINX, feedback=t2["feedback"]).user


def test_generate_batch_over_http_keeps_the_order(fake_openai):
    server = fake_openai(["one", "two", "three"])
    gen = kubescribe.Generator.openai(server.url)
    outs = gen.generate_batch(["a", [{"role": "user", "content": "b"}], "c"])
    assert [o["text"] for o in outs] == ["one", "two", "three"]
    assert [b["messages"][-1]["content"] for _, b in server.requests] == ["a", "b", "c"]
