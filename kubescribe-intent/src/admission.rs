//! An admission policy pasted beside a runtime ask: a Kyverno ClusterPolicy
//! or PolicyException, a Gatekeeper template or constraint, a
//! ValidatingAdmissionPolicy. It is what the cluster already checks at
//! admission ("Blocking Pod/exec stops `kubectl exec`, not a shell spawned
//! through an RCE … So at runtime: …"); its names, namespaces and
//! `validationFailureAction: Enforce` are no workload and no action of the
//! runtime policy asked. The block is blanked (offsets and line breaks
//! kept) when the words outside it say an action.

/// Marks of an admission policy's manifest.
const MARKS: &[&str] = &[
    "kyverno.io/",
    "validationFailureAction",
    "validationActions",
    "gatekeeper.sh/",
    "admissionregistration.k8s.io/",
    "kind: PolicyException",
    "kind: ClusterPolicy",
    "kind: ConstraintTemplate",
];

/// `text` with each fenced block that holds an admission policy blanked,
/// or `None` when it has none or nothing outside them asks.
pub(super) fn without_admission_policies(text: &str) -> Option<String> {
    let fences: Vec<usize> = text.match_indices("```").map(|(i, _)| i).collect();
    let blocks: Vec<(usize, usize)> = fences
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1] + 3))
        .filter(|&(open, close)| MARKS.iter().any(|m| text[open..close].contains(m)))
        .collect();
    if blocks.is_empty() {
        return None;
    }
    let out = super::masks::kept(text, |i, c| {
        c == '\n' || !blocks.iter().any(|&(f, t)| (f..t).contains(&i))
    });
    let asks = super::lexicon::says_an_action(&out)
        || out.lines().any(super::ask_forms::asks_in_a_sentence);
    asks.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admission_policy_beside_the_ask_is_blanked() {
        let t = "Our exception:\n```yaml\nkind: PolicyException\nmetadata:\n  namespace: tools\n```\nBlock /bin/sh in app=x, namespace tools.";
        let out = without_admission_policies(t).unwrap();
        assert_eq!(out.len(), t.len());
        assert!(!out.contains("PolicyException"));
        assert!(out.ends_with("Block /bin/sh in app=x, namespace tools."));
        assert_eq!(out.matches('\n').count(), t.matches('\n').count());
    }

    #[test]
    fn a_policy_alone_or_other_configuration_stays() {
        assert!(
            without_admission_policies("```\nvalidationFailureAction: Enforce\n```\nthoughts?")
                .is_none()
        );
        assert!(without_admission_policies("```\nkind: Deployment\n```\nblock /bin/sh").is_none());
    }
}
