//! Asks written as comments in a pasted manifest or chart values ("#
//! TODO(security): the leader pods (…) should take 6379 only from …"):
//! the comment that asks is the intent; the YAML around it is what the
//! comment is about. Its `namespace:` gives the namespace when the comment
//! names none, and the workload's selector (`matchLabels:`, a Service's
//! `selector:`) gives the pods when the comment says "this container" or
//! "these pods". Commented-out configuration ("# capabilities:", "#   drop:")
//! asks nothing; nor does a value's trailing comment.

/// A manifest's lines read as YAML: the byte ranges of the comment lines
/// that ask (their words only, without the `#` and a `TODO(…):` tag), the
/// range of its first `namespace:` line, and those of the selector's
/// `key: value` lines.
pub(super) struct ManifestAsk {
    pub(super) asks: Vec<(usize, usize)>,
    pub(super) namespace: Option<(usize, usize)>,
    pub(super) selector: Vec<(usize, usize)>,
}

/// Whether `line` (trimmed) is a YAML key line: "key: value", "key:", "-
/// key: value".
fn key_line(line: &str) -> bool {
    let l = line.trim_start_matches("- ");
    l.split_once(':').is_some_and(|(k, v)| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
            && (v.is_empty() || v.starts_with(' '))
    })
}

/// The lines of `text` with their byte offsets.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n')
        .map(|l| {
            let start = at;
            at += l.len();
            (start, l.trim_end_matches(['\n', '\r']))
        })
        .collect()
}

/// The manifest ask of `text`, if it is pasted YAML (four key lines or
/// more, one of them a manifest's or chart's own) with a comment line that
/// asks.
pub(super) fn manifest_ask(text: &str) -> Option<ManifestAsk> {
    let lines = lines(text);
    // (Commented-out keys count: "#   drop:", "# runAsUser: 1000".)
    let keys = lines
        .iter()
        .filter(|(_, l)| key_line(l.trim().trim_start_matches('#').trim()))
        .count();
    let manifest = lines.iter().any(|(_, l)| {
        let t = l.trim_start();
        // (A chart's documented values: "## @param master.service.type …".)
        [
            "apiVersion:",
            "kind:",
            "metadata:",
            "spec:",
            "image:",
            "selector:",
            "containers:",
            "## @param",
        ]
        .iter()
        .any(|k| t.starts_with(k))
    });
    // (Chart values have no manifest keys: "service:", "type: ClusterIP".)
    if keys < 4 || !manifest && keys < 6 {
        return None;
    }
    let mut asks = Vec::new();
    for &(start, line) in &lines {
        let t = line.trim_start();
        let Some(body) = t.strip_prefix('#') else {
            continue;
        };
        // ("## @param …": a chart's documentation.)
        if body.starts_with('#') {
            continue;
        }
        let body = body.trim_start();
        // "# TODO(security): …", "# FIXME: …", "# SECURITY: …".
        let tagged = body
            .split_once(':')
            .filter(|(tag, _)| {
                let tag = tag.trim().to_ascii_lowercase();
                ["todo", "fixme", "security", "xxx", "hack"]
                    .iter()
                    .any(|t| tag == *t || tag.starts_with(&format!("{t}(")))
            })
            .map(|(tag, rest)| (tag.len() + 1, rest));
        let (skip, words) = tagged.unwrap_or((0, body));
        // Commented-out configuration is no ask.
        if key_line(words.trim()) || words.trim().is_empty() {
            continue;
        }
        let from = start + (line.len() - body.len()) + skip;
        // A comment line that goes on with the sentence of an ask before
        // it ("# deny all egress from the function pods" / "# (app=fn,
        // namespace crossplane-system).").
        let goes_on = asks.last().is_some_and(|&(_, end): &(usize, usize)| {
            let before = text[..end].trim_end();
            !before.ends_with(['.', '!', '?'])
                && text[end..start].trim().is_empty()
                && tagged.is_none()
        });
        if !goes_on
            && !super::ask_forms::asks(words)
            && !super::ask_forms::asks_in_a_sentence(words)
        {
            continue;
        }
        asks.push((from, start + line.len()));
    }
    if asks.is_empty() {
        return None;
    }
    let namespace = lines
        .iter()
        .find(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("namespace:") && t["namespace:".len()..].trim().len() > 1
        })
        .map(|&(s, l)| (s, s + l.len()));
    // The selector: `matchLabels:` (a workload) or a Service's `selector:`
    // with `key: value` lines under it.
    let mut selector = Vec::new();
    if let Some(k) = lines
        .iter()
        .position(|(_, l)| l.trim() == "matchLabels:")
        .or_else(|| lines.iter().position(|(_, l)| l.trim() == "selector:"))
    {
        let indent = |l: &str| l.len() - l.trim_start().len();
        let base = indent(lines[k].1);
        for &(s, l) in &lines[k + 1..] {
            if l.trim().is_empty() || indent(l) <= base || !key_line(l.trim()) {
                break;
            }
            if l.trim().ends_with(':') {
                break;
            }
            selector.push((s, s + l.len()));
        }
    }
    Some(ManifestAsk {
        asks,
        namespace,
        selector,
    })
}

/// `text` with all but the comment asks blanked (offsets kept), and the
/// manifest lines in `asides` written as the asides an operator would type
/// ("  namespace: web" as " (namespace web)", "    app: nginx" as
/// "   (app=nginx)", the same length), so the ask reads them as its pods'.
pub(super) fn keeping(text: &str, asks: &[(usize, usize)], asides: &[(usize, usize)]) -> String {
    let mut out = super::masks::kept(text, |i, c| {
        c == '\n' || asks.iter().any(|&(f, t)| (f..t).contains(&i))
    });
    for &(f, t) in asides {
        let line = &text[f..t];
        let indent = line.len() - line.trim_start().len();
        let Some((key, value)) = line.trim().split_once(": ") else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        let aside = if key == "namespace" {
            format!("(namespace {value})")
        } else {
            format!("({key}={value})")
        };
        if indent == 0 || !aside.is_ascii() || aside.len() > t - f - indent + 1 {
            continue;
        }
        let at = f + indent - 1;
        out.replace_range(at..at + aside.len(), &aside);
    }
    out
}
