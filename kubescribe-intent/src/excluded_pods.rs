//! Pods left out of the scope: "the pods in namespace prod other than
//! app=billing-sync", "every pod except app=canary", "all workloads apart
//! from the ones labelled tier=batch". The left-out label becomes a
//! selector expression (`app != billing-sync`), which every network engine
//! and KubeArmor's `matchExpressions` can say; the exception word then
//! excepts nothing from what the intent does.

use super::*;

/// Words naming the pods a policy applies to.
const POD_WORDS: &[&str] = &[
    "pod",
    "pods",
    "workload",
    "workloads",
    "container",
    "containers",
    "endpoint",
    "endpoints",
];

/// Words between the exception word and the label it leaves out.
const FILLER: &[&str] = &[
    "the", "those", "any", "pods", "pod", "ones", "with", "labelled", "labeled", "label",
    "carrying", "that", "have", "has",
];

impl<'a> Parser<'a> {
    /// Where token `i` opens an exception that leaves pods of the scope out
    /// ("… pods in namespace prod other than app=x"), the token of the label
    /// it leaves out.
    pub(super) fn excluded_pods_label(&self, i: usize) -> Option<usize> {
        let l = self.low(i);
        let next = self.low(i + 1);
        let width = match l {
            "except" | "excepting" if next == "for" => 2,
            "except" | "excluding" | "besides" | "but" => 1,
            "other" if next == "than" => 2,
            "apart" if next == "from" => 2,
            _ => return None,
        };
        let mut k = i + width;
        // "other than the ones labelled role=x".
        while FILLER.contains(&self.low(k))
            || matches!(
                self.low(k),
                "ones" | "one" | "pods" | "labelled" | "labeled" | "with" | "label" | "having"
            )
        {
            k += 1;
        }
        let label = self.toks.get(k)?;
        let (key, _) = split_label(label.text.trim_end_matches(['.', ',', ';', ')']))?;
        if matches!(key.as_str(), "namespace" | "ns") || !self.pods_before(i) {
            return None;
        }
        Some(k)
    }

    /// Whether the words before token `i` name the scope's pods: "the pods
    /// other than", "the pods in namespace prod other than"; not peers
    /// ("from all pods except …", "to the pods but …").
    fn pods_before(&self, i: usize) -> bool {
        let word = |k: usize| self.low(k).trim_end_matches(',');
        let mut k = i;
        // "in (the) namespace prod", "in the prod namespace", "of ns prod".
        if k >= 2 && matches!(word(k - 2), "namespace" | "ns") {
            k -= 2;
        } else if k >= 1 && matches!(word(k - 1), "namespace" | "ns") {
            k -= 1;
            if k >= 1 && !matches!(word(k - 1), "in" | "of" | "the") {
                k -= 1;
            }
        }
        // "every pod in the cluster other than …".
        if k >= 3 && word(k - 1) == "cluster" && word(k - 2) == "the" {
            k -= 2;
        }
        while k >= 1 && matches!(word(k - 1), "in" | "of" | "the" | "across") {
            k -= 1;
        }
        // "the pods of shop other than app=x": a bare name after "of"/"in".
        if k >= 3 && matches!(word(k - 2), "of" | "in") && POD_WORDS.contains(&word(k - 3)) {
            k -= 2;
        }
        if k == 0 || !POD_WORDS.contains(&word(k - 1)) {
            return false;
        }
        // A peer's pods follow "from"/"to" (after "the", "all", …): "to the
        // pods …"; not "egress to 1.2.3.4 for pods …".
        let mut j = k - 1;
        while j > 0
            && matches!(
                word(j - 1),
                "the" | "all" | "every" | "any" | "those" | "these"
            )
        {
            j -= 1;
        }
        !(j > 0 && matches!(word(j - 1), "from" | "to" | "toward" | "towards" | "reach"))
    }

    /// Where token `i` opens a set-based selector ("tier in (cache)",
    /// "app.kubernetes.io/component in (backend, web)", "k8s-app notin
    /// (kube-dns, node-local-dns)"), the token that closes its list: a
    /// label key, `in`/`notin`, and a parenthesis of label values only.
    pub(super) fn set_selector(&self, i: usize) -> Option<usize> {
        let key = self.toks[i].text;
        let keyish = COMMON_LABEL_KEYS.contains(&key) || key.contains(['.', '/', '-']);
        if !keyish || !label_key_ok(key) || !matches!(self.low(i + 1), "in" | "notin") {
            return None;
        }
        let open = self.toks.get(i + 2).filter(|t| t.paren)?;
        if !self.text[..open.start].ends_with('(') {
            return None;
        }
        let close = (i + 2..(i + 12).min(self.toks.len()))
            .find(|&j| self.text[self.toks[j].end..].starts_with(')'))?;
        (i + 2..=close)
            .all(|j| {
                let v = self.toks[j].text.trim_matches(['(', ')', ',']);
                label_val_ok(v) && !v.contains('=') && !matches!(v, "namespace" | "ns")
            })
            .then_some(close)
    }

    /// Records in `a` the set-based selector at token `i` (see
    /// [`set_selector`](Self::set_selector)); how many tokens it takes.
    pub(super) fn take_set_selector(&mut self, a: &mut Acc, i: usize) -> Option<usize> {
        let k = self.set_selector(i)?;
        let t = self.toks[i].clone();
        let close = self.toks[k].end;
        let values: Vec<String> = (i + 2..=k)
            .map(|j| self.toks[j].text.trim_matches(['(', ')', ',']).to_string())
            .collect();
        self.ents.push(Entity {
            kind: EntityKind::Label,
            text: self.text[t.start..close].to_string(),
            start: t.start,
            end: close,
        });
        self.last_mention_tok = Some(i);
        let op = self.low(i + 1).to_string();
        a.selector
            .push(format!("{} {op} ({})", t.text, values.join(", ")));
        Some(k + 1 - i)
    }
}
