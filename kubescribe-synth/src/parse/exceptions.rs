//! Words that make what follows an exception to what came before: "block
//! all … except X", "anything but X", "traffic other than DNS", "apart
//! from", "save for", "drop ALL, add NET_BIND_SERVICE". An exception turns
//! a block of a whole kind into an allow-list of X (see `finish`).

use super::*;

impl<'a> Parser<'a> {
    /// Records in `a` the exception word at token `i` (`l`, between `prev`
    /// and `next`), and whether what it excepts from is a whole kind.
    pub(super) fn exception_word(&self, a: &mut Acc, i: usize, l: &str, prev: &str, next: &str) {
        // "drop all capabilities and only add back NET_BIND_SERVICE",
        // "drop ALL, add NET_BIND_SERVICE": what is added back is the
        // exception to the drop.
        // A securityContext's "drop: [ALL] add: [NET_ADMIN]" too.
        let adds_back = matches!(
            l.trim_end_matches(':'),
            "add" | "added" | "re-add" | "re-added" | "readd"
        ) && (matches!(next, "back" | "only")
            || a.all_word
                && a.block.as_deref().is_some_and(|b| {
                    b.eq_ignore_ascii_case("drop") || b.eq_ignore_ascii_case("drops")
                }));
        // "all egress traffic not destined for the kube-apiserver",
        // "traffic other than DNS": an exception.
        let not_bound_for = l == "not"
            && matches!(
                next,
                "destined" | "bound" | "addressed" | "headed" | "going"
            )
            || l == "other" && next == "than";
        // "… not have any executables besides the entrypoint", "deny
        // ingress from anything but the ingress controllers".
        let besides = matches!(l, "besides" | "excluding")
            || l == "apart" && next == "from"
            || l == "save" && next == "for"
            || l == "but"
                && matches!(
                    prev,
                    "anything"
                        | "everything"
                        | "all"
                        | "anyone"
                        | "everyone"
                        | "anybody"
                        | "everybody"
                );
        if l == "except" || l == "but" && next == "only" || besides || adds_back || not_bound_for {
            a.except = true;
            // "block ingress traffic except from app=coderd": the kind
            // right after the verb, with no value, is all of it.
            let kind_word = |w: &str| {
                matches!(
                    w,
                    "ingress"
                        | "egress"
                        | "inbound"
                        | "outbound"
                        | "incoming"
                        | "outgoing"
                        | "traffic"
                        | "connections"
                        | "network"
                        | "communication"
                        | "the"
                )
            };
            let mut k = i;
            while k > 0 && kind_word(self.low(k - 1)) {
                k -= 1;
            }
            if k < i && k > 0 && BLOCK_WORDS.contains(&self.low(k - 1)) {
                a.all_word = true;
            }
        }
        // "denied to everybody but app=api": everyone is the whole kind,
        // as "all" is ("block all … except X" is an allow-list of X).
        if l == "but"
            && matches!(
                prev,
                "anyone" | "everyone" | "anybody" | "everybody" | "anything" | "everything"
            )
        {
            a.all_word = true;
        }
    }
}
