//! Which executables act in a file intent: the programs a file rule
//! applies from (KubeArmor `fromSource`), told apart from the files.

use super::*;

impl<'a> Parser<'a> {
    /// Whether the executable path `raw` at token `i` glosses the name of the
    /// program just before it ("keysigner (/usr/local/bin/keysigner)", "the
    /// node code (/usr/local/bin/node)"), not a file ("the nginx binary
    /// (/usr/sbin/nginx)").
    pub(super) fn glosses_program(&self, i: usize, raw: &str) -> bool {
        let name = raw.rsplit('/').next().unwrap_or(raw).to_ascii_lowercase();
        let word = |k: usize| self.low(k).trim_matches(|c: char| !c.is_alphanumeric());
        self.toks[i].paren
            && i > 0
            && exec_looking(raw)
            && !matches!(
                word(i - 1),
                "binary" | "binaries" | "file" | "files" | "executable" | "executables"
            )
            && (i.saturating_sub(2)..i).any(|k| word(k) == name)
    }

    /// Whether the executable path at token `i` is what runs others: it
    /// follows "from"/"by" a few words after a word for spawning ("shell
    /// spawns (…) from the web server process /usr/sbin/nginx", "shells
    /// spawned by /usr/bin/node").
    pub(super) fn spawned_from(&self, i: usize) -> bool {
        (i.saturating_sub(5)..i).any(|k| {
            matches!(self.low(k), "from" | "by")
                // "… from executing /bin/sh": what is run, not who runs it.
                && (k + 1..i).all(|j| {
                    !self.toks[j].text.starts_with('/') && !EXEC_MODE_VERBS.contains(&self.low(j))
                })
                && (k.saturating_sub(6)..k).any(|j| {
                    matches!(
                        self.low(j),
                        "spawn" | "spawns" | "spawned" | "spawning" | "forked" | "launched"
                    )
                })
        })
    }

    /// Whether a file verb comes within five words before the executable
    /// path `raw`: what is read or written, not what acts.
    fn file_verb_object(&self, raw: &str) -> bool {
        self.toks.iter().enumerate().any(|(k, t)| {
            t.text.contains(raw)
                && (k.saturating_sub(5)..k).any(|j| FILE_VERBS.contains(&self.low(j)))
        })
    }

    /// A file intent governs files. The programs named with their path
    /// glossed act on them when other files are named ("the only process
    /// to read the key (/var/…/key) should be keysigner
    /// (/usr/local/bin/keysigner)"); so do the executables a block or audit
    /// names as paths beside them ("`denyExec`: /bin/cat, /bin/ls …
    /// /srv/mount/**"): no engine has a file rule that also runs them. (A
    /// file allow-list may name what runs beside what is read.)
    pub(super) fn file_sources(&mut self, a: &mut Acc, action: Action) {
        // "/etc/ssl/private" beside "/etc/ssl/private/": the directory.
        a.paths
            .retain(|(p, _)| !a.dirs.iter().any(|d| d.trim_end_matches('/') == p.as_str()));
        if !a.dirs.is_empty() || a.paths.iter().any(|(p, _)| !a.programs.contains(p)) {
            for prog in std::mem::take(&mut a.programs) {
                if let Some(ix) = a.paths.iter().position(|(p, _)| *p == prog) {
                    let (p, e) = a.paths.remove(ix);
                    self.ents[e].kind = EntityKind::Binary;
                    push_uniq(&mut a.sources, p);
                }
            }
        }
        if action == Action::Allow || a.paths.is_empty() && a.dirs.is_empty() {
            return;
        }
        for b in std::mem::take(&mut a.binaries) {
            // Written as paths; a program's name ("the main nginx process")
            // is no more than a mention, and a binary a file verb reaches
            // ("writes to the tool binary (/usr/local/bin/tool)") is a file.
            let written = exec_looking(&b) && !a.named_binaries.contains(&b);
            let entity = self.ents.iter().rposition(|e| e.text == b);
            if written
                && self.file_verb_object(&b)
                && let Some(e) = entity
            {
                self.ents[e].kind = EntityKind::Path;
                a.paths.push((b, e));
            } else if written {
                push_uniq(&mut a.sources, b);
            } else {
                a.binaries.push(b);
            }
        }
    }
}
