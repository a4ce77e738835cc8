//! Asks written inside infrastructure code: a `# TODO` above a Terraform
//! resource, a `//` note in a Pulumi or cdk8s program, a Python comment, a
//! Jsonnet `// FIXME`, an Ansible task's `name:`. The code around the ask
//! is the setup it changes (what the policy is today, chart values, image
//! tags): its identifiers, keys and numbers are not the ask's. What is
//! read is the comments' words, a variable's `description` (heredoc or
//! string), an Ansible task's name and the prose lines among them; the
//! rest is blanked, offsets kept.

/// A line of code by itself: a declaration's or block's opening
/// (`resource "x" "y" {`, `import …`, `class X(Chart):`), a closing
/// brace, a statement's end (`;`), an HCL attribute (`name = "x"`).
fn strong(line: &str) -> bool {
    const OPENERS: &[&str] = &[
        "import ",
        "export ",
        "const ",
        "let ",
        "var ",
        "local ",
        "resource \"",
        "variable \"",
        "module \"",
        "data \"",
        "provider \"",
        "output \"",
        "locals {",
        "terraform {",
        "def ",
        "class ",
        "func ",
        "package ",
        "return ",
        "new ",
    ];
    let t = line.trim();
    // (A JSON member, `"spec": {`, is data.)
    if t.starts_with('"') && t.contains("\":") {
        return false;
    }
    let attribute = {
        let name_end = t
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '_' | '"' | '.' | '/' | '-'))
            })
            .unwrap_or(t.len());
        name_end > 0 && t[name_end..].trim_start().starts_with("= ")
    };
    OPENERS.iter().any(|o| t.starts_with(o))
        || t.starts_with("from ") && t.contains(" import ")
        || t.ends_with(['{', ';', '('])
        || t.starts_with(['}', ']', ')'])
        || attribute
}

/// Where a comment's words start in `line` (after `#`, `//`, `/*`, or
/// a block comment's `*`); `None` for a line that is no comment.
fn comment_body(line: &str) -> Option<usize> {
    let t = line.trim_start();
    let lead = line.len() - t.len();
    ["//", "/*", "#", "* ", "*/"]
        .iter()
        .find(|m| t.starts_with(*m))
        .map(|m| lead + m.len())
}

/// Whether a line that is neither code nor comment reads as prose: four
/// words or more, most of them words of letters.
fn prose(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let plain = words
        .iter()
        .filter(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '\'' | '-'))
        })
        .count();
    words.len() >= 4
        && plain * 5 >= words.len() * 3
        && !line.trim_start().starts_with(['+', '-', '.'])
}

/// How much a line of code opens (brackets opened less closed, outside
/// quotes).
fn opens(line: &str) -> i32 {
    let mut depth = 0;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[' | '(') => depth += 1,
            (None, '}' | ']' | ')') => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// An Ansible playbook or task list: a `- name:` task and a module or play
/// key (`kubernetes.core.k8s:`, `ansible.builtin.copy:`, `hosts:`).
fn ansible(text: &str) -> bool {
    let named = text.lines().any(|l| l.trim_start().starts_with("- name:"));
    let module = text.lines().any(|l| {
        let t = l.trim();
        t.strip_suffix(':').is_some_and(|k| {
            !k.contains(' ')
                && (k.matches('.').count() >= 2 || matches!(k, "hosts" | "tasks" | "roles"))
        })
    });
    named && module
}

/// `text` with its code blanked, its comments' words, descriptions and
/// task names kept (offsets kept); `None` when it is no code excerpt
/// (three lines of code by themselves and a comment or task name).
pub(super) fn comments_only(text: &str) -> Option<String> {
    let is_ansible = ansible(text);
    // (Brackets alone close what any data may hold.)
    let code = text
        .lines()
        .filter(|l| comment_body(l).is_none() && strong(l))
        .filter(|l| {
            !l.trim()
                .chars()
                .all(|c| matches!(c, '{' | '}' | '[' | ']' | '(' | ')' | ',' | ';'))
        })
        .count();
    if code < 3 && !is_ansible {
        return None;
    }
    let mut keep: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    // The end marker of a heredoc being read (`EOT`).
    let mut heredoc: Option<String> = None;
    // The line breaks inside a comment's sentence.
    let mut joined: Vec<usize> = Vec::new();
    // The brackets the code has open.
    let mut depth = 0;
    for l in text.split_inclusive('\n') {
        let line = l.trim_end_matches(['\n', '\r']);
        let t = line.trim();
        if let Some(end) = &heredoc {
            if t == end {
                heredoc = None;
            } else {
                // (A description's lines are one paragraph.)
                if let Some(&(_, last)) = keep.last()
                    && last + 1 == at
                    && !text[..last].trim_end().ends_with(['.', '!', '?', ':'])
                {
                    joined.push(last);
                }
                keep.push((at, at + line.len()));
            }
        } else if let Some(body) = comment_body(line) {
            // A comment wrapped onto this line goes on with its sentence:
            // the line break before it reads as a space.
            if let Some(&(_, end)) = keep.last()
                && end + 1 == at
                && !text[..end].trim_end().ends_with(['.', '!', '?', ':'])
                && !line[body..].trim().is_empty()
            {
                joined.push(end);
            }
            keep.push((at + body, at + line.len()));
        } else if let Some(name) = is_ansible.then(|| t.strip_prefix("- name:")).flatten() {
            keep.push((at + line.len() - name.len(), at + line.len()));
        } else if let Some((key, value)) = t.split_once('=')
            && key.trim() == "description"
        {
            let v = value.trim();
            if let Some(marker) = v.strip_prefix("<<-").or_else(|| v.strip_prefix("<<")) {
                heredoc = Some(marker.trim().to_string());
            } else if v.len() > 2 && v.starts_with('"') {
                let from = at + line.len() - value.trim_start().len() + 1;
                let to = at + line.trim_end().len() - 1;
                keep.push((from, to.max(from)));
            }
        } else {
            // (Prose between the code, not inside a block of it.)
            if depth == 0 && !strong(line) && prose(line) && !is_ansible {
                keep.push((at, at + line.len()));
            }
            depth = (depth + opens(line)).max(0);
        }
        at += l.len();
    }
    if keep.is_empty() {
        return None;
    }
    Some(super::masks::kept(text, |i, c| {
        c == '\n' && !joined.contains(&i) || keep.iter().any(|&(f, t)| (f..t).contains(&i))
    }))
}

#[cfg(test)]
mod tests {
    use super::comments_only;

    #[test]
    fn code_is_blanked_and_its_comments_kept() {
        let text = "# TODO: only app=a may reach app=b on 80.\nresource \"x\" \"y\" {\n  name = \"z\"\n  port = \"81\"\n}\n";
        let out = comments_only(text).expect("code");
        assert_eq!(out.len(), text.len());
        assert!(out.contains("only app=a may reach app=b on 80."));
        assert!(!out.contains("81") && !out.contains("resource") && !out.contains('#'));
        assert!(comments_only("Allow app=a to reach app=b.\nThanks!\n").is_none());
    }

    #[test]
    fn a_description_and_a_task_name_are_kept() {
        let text = "variable \"v\" {\n  description = <<-EOT\n    Block egress of app=a.\n  EOT\n  default = [\"10.0.0.0/8\"]\n}\n";
        let out = comments_only(text).unwrap();
        assert!(out.contains("Block egress of app=a.") && !out.contains("10.0.0.0/8"));
        let text = "- name: deny egress of app=a\n  kubernetes.core.k8s:\n    namespace: n\n    port: 99\n";
        let out = comments_only(text).unwrap();
        assert!(out.contains("deny egress of app=a") && !out.contains("99"));
    }

    #[test]
    fn cut_anywhere_it_does_not_panic() {
        let text = "/* é */\nconst a = 1;\nvariable \"v\" {\n description = \"ü\"\n}\n- name: x\n  a.b.c:\n";
        for (at, _) in text.char_indices() {
            let _ = comments_only(&text[..at]);
            let _ = comments_only(&text[at..]);
        }
    }
}
