//! Engines and policy kinds named in a clause ("Cilium", "a Global Network
//! Policy", "CCNP", "NetworkPolicy"): the engine they pick, how strongly,
//! and the cluster-wide kinds.

use super::*;

impl<'a> Parser<'a> {
    /// Reads an engine or policy-kind word at token `i` (`next`: the word
    /// after it, lower-cased). Returns the index after it, or `None`.
    pub(super) fn scan_engine(&mut self, a: &mut Acc, mut i: usize, next: &str) -> Option<usize> {
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        // "Add egress rules … to the allow-kafka-access NetworkPolicy of
        // app=kafka": "to" a policy is where rules go, no side of a
        // connection.
        if matches!(self.cue, Some(Cue::To))
            && i <= self.cue_at + 3
            && (matches!(l.trim_end_matches([',', '.']), "policy" | "policies")
                || engine_word(l.trim_end_matches([',', '.'])).is_some_and(|(_, kind, _)| kind))
        {
            self.cue = None;
        }
        // Engines and policy kinds. The platform's name picks its engine
        // only before a policy word ("a Kubernetes network policy"), not
        // where it qualifies something else ("the K8s API server", "in
        // the k8s environment").
        let platform_only = matches!(l.trim_end_matches(':'), "kubernetes" | "k8s")
            && !matches!(
                next.trim_end_matches([':', ',']),
                "network" | "networkpolicy" | "networkpolicies" | "netpol" | "policy" | "policies"
            );
        // Calico's kind in words: "a Global Network Policy".
        let global_policy = l == "global"
            && next == "network"
            && self
                .low(i + 2)
                .trim_end_matches([':', ','])
                .starts_with("polic");
        let kind = if global_policy {
            Some((Engine::Calico, true, false))
        } else if platform_only {
            None
        } else {
            engine_word(l.trim_end_matches(':'))
        };
        // "tetragon caught this on …", "KubeArmor stopped hping3 in …",
        // "process_kprobe from tetragon:": the engine that reported what
        // the ask quotes, not one the ask picks.
        if kind.is_some_and(|(_, kind_word, _)| !kind_word)
            && reporter(self.prev_low(i), t.text, next)
        {
            return Some(i + 1);
        }
        if let Some((eng, kind_word, weak)) = kind {
            let last = if global_policy { i + 2 } else { i };
            // A cluster-wide kind applies across the cluster unless a
            // namespace is named.
            if global_policy
                || matches!(
                    l.trim_end_matches([':', ',']),
                    "ciliumclusterwidenetworkpolicy"
                        | "ccnp"
                        | "globalnetworkpolicy"
                        | "gnp"
                        | "kubearmorclusterpolicy"
                )
            {
                a.wide_unless_ns = true;
            }
            let end = self.toks[last].start + self.toks[last].text.trim_end_matches(':').len();
            let word = &self.text[t.start..end];
            self.ent(
                if kind_word {
                    EntityKind::Policy
                } else {
                    EntityKind::Engine
                },
                t.start,
                end,
            );
            if weak {
                a.weak_engine.get_or_insert((eng, word.to_string()));
            } else {
                a.engines.push((eng, word.to_string()));
            }
            i = last + 1;
            return Some(i);
        }
        None
    }
}

/// Whether an engine's name (`word`, between the lower-case `prev` and
/// `next`) names the engine that reported what the ask quotes ("tetragon
/// caught this on …", "KubeArmor stopped hping3 in …", "process_kprobe
/// from tetragon:"), not one the ask picks.
pub(super) fn reporter(prev: &str, word: &str, next: &str) -> bool {
    matches!(
        next.trim_end_matches([':', ',', '.']),
        "caught"
            | "stopped"
            | "flagged"
            | "reported"
            | "detected"
            | "saw"
            | "logged"
            | "alerted"
            | "fired"
            | "showed"
            | "shows"
            | "raised"
            | "blocked"
            | "denied"
            | "killed"
            | "says"
            | "said"
            | "emitted"
    ) || prev == "from" && (word.ends_with(':') || word.starts_with(['"', '“']))
}
