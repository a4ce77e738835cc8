//! Ports given in parentheses after the name of what listens on them:
//! "postgres (5432)", "on epmd (4369), stream replication (6000-6500) and
//! CLI tooling (35672 to 35682)". The number is the port; the name only
//! says what it is. Also a port written as an address's suffix (":9091").

use super::*;

impl<'a> Parser<'a> {
    /// Whether the words of a parenthesis after a port only say what
    /// listens there ("8443 (kube-rbac-proxy)", "8000 (instance-manager
    /// status)"): no number, protocol, label or namespace, which say more;
    /// or say that they name the ports before ("(the HTTP and native
    /// protocol ports)"), whatever they list.
    pub(super) fn port_gloss(&self, inner: &str) -> bool {
        if inner.contains(|c: char| c.is_ascii_digit() || c == '=' || c == ':') {
            return false;
        }
        let words: Vec<String> = inner
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .map(|w| w.to_ascii_lowercase())
            .collect();
        let elsewhere = |w: &str| matches!(w, "namespace" | "ns" | "pods" | "pod" | "from" | "to");
        let names_the_ports = words
            .last()
            .is_some_and(|w| matches!(w.as_str(), "port" | "ports"))
            && !words.iter().any(|w| elsewhere(w));
        names_the_ports
            || words.iter().all(|w| {
                proto(w).is_none()
                    && engine_word(w).is_none()
                    && !elsewhere(w)
                    && !matches!(
                        w.as_str(),
                        "labels" | "label" | "for" | "only" | "and" | "or"
                    )
            })
    }

    /// Whether token `i`, a number that opens a parenthesis, is a port named
    /// by the words before it: the parenthesis holds only the port (or a
    /// range), and the name is a service's, or follows "on"/"over"/"via"
    /// a few words before, or continues a list of such ports.
    /// The port right before the parenthesis that token `i`, a protocol,
    /// stands in with only protocols before it ("8074 (TCP and UDP)").
    pub(super) fn port_before_paren(&self, i: usize) -> Option<u16> {
        let opens_before = |k: usize| {
            k > 0 && self.text[self.toks[k - 1].end..self.toks[k].start].contains('(')
                || self.toks[k].text.starts_with('(')
        };
        let mut k = i;
        while !opens_before(k) {
            let w = self.low(k.checked_sub(1)?).trim_end_matches(',');
            if k + 4 <= i || !(proto(w).is_some() || matches!(w, "and" | "or" | "&" | "+")) {
                return None;
            }
            k -= 1;
        }
        let before = self.low(k.checked_sub(1)?).trim_end_matches([',', '(']);
        match parse_port(before) {
            Some((p, None)) => Some(p),
            _ => None,
        }
    }

    pub(super) fn port_in_parens(&self, i: usize) -> bool {
        // "every inbound SST or IST connection (4444, 4568)": a list of
        // numbers alone in one parenthesis is read as its first is.
        match self.paren_number_list(i) {
            Some(first) => self.port_in_parens_at(first, true),
            None => self.port_in_parens_at(i, false),
        }
    }

    /// The first token of the list of numbers ("(4444, 4568)", "(80 and
    /// 443)") that token `i` belongs to, when one parenthesis holds only
    /// such a list.
    fn paren_number_list(&self, i: usize) -> Option<usize> {
        let number = |k: usize| {
            matches!(
                parse_port(self.low(k).trim_matches(['(', ')', ','])),
                Some((_, None))
            )
        };
        let joint = |k: usize| matches!(self.low(k).trim_end_matches(')'), "and" | "or" | "&");
        let mut first = i;
        while !self.toks.get(first)?.paren {
            if first == 0 || first + 8 <= i || !(number(first - 1) || joint(first - 1)) {
                return None;
            }
            first -= 1;
        }
        let mut last = first;
        let closes = |k: usize| {
            self.text[self.toks[k].end..].starts_with(')') || self.toks[k].text.ends_with(')')
        };
        while !closes(last) {
            last += 1;
            if last >= self.toks.len() || last > first + 8 || !(number(last) || joint(last)) {
                return None;
            }
        }
        let numbers = (first..=last).filter(|&k| number(k)).count();
        (numbers >= 2 && number(first) && (first..=last).contains(&i)).then_some(first)
    }

    fn port_in_parens_at(&self, i: usize, listed_whole: bool) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        // "(22/80/443)" after "SSH/HTTP/HTTPS": a list written with slashes.
        let slash_list = t.text.contains('/')
            && t.text
                .split('/')
                .all(|p| matches!(parse_port(p), Some((_, None))));
        if !t.paren || parse_port(t.text).is_none() && !slash_list || i == 0 {
            return false;
        }
        // "ptrace(2)": a manual section glued to its word, no port.
        if !self.text[..t.start]
            .trim_end_matches('(')
            .ends_with(char::is_whitespace)
        {
            return false;
        }
        // The parenthesis closes after the number, or after "to N" / "- N".
        let closes = |k: usize| {
            self.toks
                .get(k)
                .is_some_and(|x| self.text[x.end..].starts_with(')'))
        };
        let whole = listed_whole
            || closes(i)
            || matches!(self.low(i + 1), "to" | "through" | "-")
                && parse_port(self.low(i + 2)).is_some()
                && closes(i + 2)
            // "LAN Serf (8301, TCP and UDP)": the protocols it is served
            // over close it.
            || self.protocols_closing(i).is_some();
        if !whole {
            return false;
        }
        let prev = self.low(i - 1);
        let service = |w: &str| SERVICE_NAMES.contains(&w) || service_port(w).is_some();
        let named_service = service(prev)
            || prev.contains('/') && prev.split('/').all(service)
            || matches!(prev, "port" | "ports");
        // "on epmd (4369)", "over the management API (15672)".
        let after_on = (i.saturating_sub(5)..i - 1).any(|k| {
            matches!(self.low(k), "on" | "over" | "via")
                && (k..i - 1).all(|j| !self.ends_clause(j) && !self.toks[j + 1].paren)
        });
        // "…, clustering (25672) and CLI tooling (35672 to 35682)": the list
        // of such ports goes on.
        let listed = (i.saturating_sub(6)..i - 1).any(|k| {
            self.toks[k].paren
                && parse_port(self.toks[k].text).is_some()
                && (k + 1..i).all(|j| !self.toks[j].paren)
                && (self.ends_clause(k)
                    || (k + 1..i).any(|j| matches!(self.low(j), "and" | "or" | "&")))
        });
        // "xtrabackup (3307) on the mysql pods", "to client (2181), …": a
        // word and its port, not a count ("replicas (3)").
        let named_port = parse_port(t.text).is_some_and(|(p, _)| p >= 20)
            && prev.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            && !prev.is_empty()
            && (0..self.toks.len()).any(|k| {
                matches!(
                    self.low(k),
                    "ingress"
                        | "egress"
                        | "accessible"
                        | "reachable"
                        | "traffic"
                        | "inbound"
                        | "outbound"
                        | "connection"
                        | "connections"
                        | "port"
                        | "ports"
                        | "connect"
                        | "reach"
                        | "accept"
                        | "allow"
                        | "restrict"
                        | "restricted"
                        | "limited"
                        | "exposed"
                        | "open"
                )
            });
        named_service || after_on || listed || named_port
    }

    /// Whether a port and its parenthesised gloss come right before token
    /// `i` ("port 4191 (linkerd-admin) of …").
    pub(super) fn port_glossed_before(&self, i: usize) -> bool {
        i >= 2
            && self.text[..self.toks[i].start].trim_end().ends_with(')')
            && (i.saturating_sub(4)..i)
                .find(|&k| self.toks[k].paren)
                .is_some_and(|k| k > 0 && parse_port(self.low(k - 1)).is_some())
    }

    /// "(8301, TCP and UDP)", "on 53 tcp and udp, 443 …": the last token of
    /// the protocols that follow the number at token `i` and close its
    /// parenthesis (or its item of a list of ports), if they do.
    pub(super) fn protocols_closing(&self, i: usize) -> Option<usize> {
        let closes = |k: usize| self.text[self.toks[k].end..].starts_with(')');
        let paren = self.toks[i].paren;
        for k in i + 1..(i + 6).min(self.toks.len()) {
            let named = proto(self.low(k).trim_end_matches([',', ')'])).is_some();
            let item_ends = if paren {
                closes(k) || self.toks[k].text.ends_with(')')
            } else {
                self.toks[k].comma && parse_port(self.low(k + 1)).is_some()
            };
            if named && item_ends {
                return Some(k);
            }
            if !named && !matches!(self.low(k), "and" | "or" | "&") {
                return None;
            }
        }
        None
    }

    /// "/metrics on :9091": a port written as an address's suffix at token
    /// `i`, recorded in `a`. Whether there is one.
    pub(super) fn suffix_port(&mut self, a: &mut Acc, i: usize) -> bool {
        let t = self.toks[i].clone();
        let Some((p, None)) = t
            .text
            .strip_prefix(':')
            .and_then(|r| parse_port(r.trim_end_matches([',', '.', ';', ')'])))
        else {
            return false;
        };
        self.ent(EntityKind::Port, t.start, t.end);
        let pending = std::mem::take(&mut a.pending_protos);
        super::values::push_port(a, p, None, &pending);
        true
    }
}
