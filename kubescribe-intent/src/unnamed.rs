//! Values an ask refers to without giving them: "explicitly approved
//! domains", "the office VPN", "trusted networks" (which peers?), "on its
//! port", "the port coredns serves its metrics on", "whatever port it
//! uses" (which port?). Recorded so that `finish` refuses with what is
//! missing when no value of the kind is given elsewhere.

use super::*;

impl<'a> Parser<'a> {
    /// Notes at token `i` a word for destinations or networks that an
    /// adjective says are known without naming them.
    pub(super) fn note_unnamed_peer(&self, a: &mut Acc, i: usize) {
        let t = &self.toks[i];
        let l = t.lower.as_str();
        let prev = self.prev_low(i);
        // "only … for the NFs that legitimately need it", "the secret
        // backends it has been configured with": peers said by what they
        // need or how they were set up, none named.
        let head = if prev == "the" {
            Some(i - 1)
        } else if i >= 2
            && self.low(i - 2) == "the"
            && prev.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        {
            Some(i - 2)
        } else {
            None
        };
        if let Some(head) = head
            && matches!(
                l,
                "nfs"
                    | "backends"
                    | "services"
                    | "clients"
                    | "peers"
                    | "apps"
                    | "applications"
                    | "callers"
                    | "consumers"
                    | "destinations"
                    | "servers"
                    | "systems"
                    | "providers"
                    | "vendors"
                    | "partners"
                    | "sources"
            )
            && (i + 1..(i + 6).min(self.toks.len()))
                .take_while(|&k| k == i + 1 || !self.ends_clause(k - 1))
                .any(|k| {
                    matches!(
                        self.low(k).trim_end_matches([',', '.', ';']),
                        "need" | "needs" | "require" | "requires" | "configured"
                            // "from the services that actually use it".
                            | "use" | "uses"
                            // "by the legacy applications that bind to it".
                            | "bind" | "binds"
                    )
                })
            && matches!(
                self.low(i + 1),
                "that" | "which" | "who" | "it" | "they" | "we"
            )
        {
            a.unnamed_peer
                .get_or_insert(self.text[self.toks[head].start..t.end].to_string());
            return;
        }
        // "should only accept 8090 from the intranet": a network said by
        // its kind, none given.
        if l.trim_end_matches([',', '.', ';']) == "intranet"
            && matches!(prev, "the" | "our" | "their" | "company" | "corporate")
        {
            a.unnamed_peer.get_or_insert(
                self.text[self.toks[i - 1].start..t.end]
                    .trim_end_matches([',', '.', ';'])
                    .to_string(),
            );
            return;
        }
        // "only GitHub's webhook IPs may reach …", "Stripe's IP ranges":
        // addresses said by whose they are, none given.
        if matches!(
            l.trim_end_matches([',', '.', ';']),
            "ips" | "ranges" | "addresses" | "cidrs" | "subnets"
        ) && (i.saturating_sub(3)..i).any(|k| {
            let w = self.toks[k].text;
            (w.ends_with("'s") || w.ends_with("\u{2019}s")) && w.len() > 2
        }) {
            let from = (i.saturating_sub(3)..i)
                .find(|&k| {
                    self.toks[k].text.ends_with('s')
                        && self.toks[k].text.contains(['\'', '\u{2019}'])
                })
                .map_or(t.start, |k| self.toks[k].start);
            a.unnamed_peer.get_or_insert(
                self.text[from..t.end]
                    .trim_end_matches([',', '.', ';'])
                    .to_string(),
            );
            return;
        }
        // ("specific pod labels", "trusted IP ranges", "our trusted admin
        // IPs": the noun's noun between the adjective and the word.)
        let noun_between = matches!(
            prev,
            "pod"
                | "ip"
                | "network"
                | "address"
                | "source"
                | "admin"
                | "partner"
                | "customer"
                | "client"
                | "management"
        );
        // "restrict outbound traffic to explicitly approved domains":
        // destinations said, none given.
        // "only VPN ip can access": the network's kind, its addresses not
        // given.
        let vpn_ip = prev == "vpn" && matches!(l.trim_end_matches([',', '.']), "ip" | "ips");
        if vpn_ip
            || matches!(
            l.trim_end_matches([',', '.']),
            "domains"
                | "hostnames"
                | "destinations"
                | "urls"
                | "ips"
                | "endpoints"
                | "subnets"
                | "subnet"
                | "networks"
                | "network"
                | "vpn"
                | "vpns"
                | "ranges"
                | "cidrs"
                | "hosts"
                // "8545 only from our trusted machines".
                | "machines"
                | "servers"
                | "addresses"
                | "sources"
                | "clients"
                // "port 8083 reachable by trusted users only".
                | "users"
                // "… and specific pod labels", "from certain namespaces".
                | "labels"
                | "pods"
                | "namespaces"
                | "workloads"
        ) && matches!(
            if noun_between {
                self.low(i.saturating_sub(2))
            } else {
                prev
            },
            // "from the office VPN", "to the corporate network".
            // "only accept our defined sources", "the clients on our
            // invited list".
            "defined"
                | "invited"
                | "listed"
                | "configured"
                | "registered"
                | "office"
                | "corporate"
                | "company"
                | "approved"
                | "allowed"
                | "specific"
                | "certain"
                | "known"
                | "trusted"
                | "whitelisted"
                | "allowlisted"
                | "permitted"
                | "sanctioned"
                | "authorized"
                | "required"
                | "needed"
                | "necessary"
                | "private"
                | "internal"
        ) && (!matches!(prev, "private" | "internal")
            // "11211 only from our private network": whose, not which
            // (not "loopback, private network, link-local": kinds listed).
            || matches!(self.low(i.saturating_sub(2)), "our" | "the" | "my" | "your"))
            // "well defined network requirements": a noun goes on.
            && (t.comma
                || !matches!(
                    self.low(i + 1).trim_end_matches([':', ',', '.', ';']),
                    "requirements" | "policy" | "policies" | "rules" | "traffic" | "access"
                        | "settings" | "configuration" | "connectivity"
                ))
        {
            let from = self.toks[i - if noun_between { 2 } else { 1 }].start;
            a.unnamed_peer.get_or_insert(
                self.text[from..t.end]
                    .trim_end_matches([',', '.'])
                    .to_string(),
            );
        }
    }

    /// Notes at token `i` ("from", "reach", "connect to") a peer said by a
    /// common noun and nothing else: "only accept 443 from the exam room",
    /// "may only reach the CrowdStrike cloud on 443". Kept with the
    /// direction its preposition gives; `finish` refuses when the intent
    /// names no peer of any kind (it would allow or block everyone).
    pub(super) fn note_vague_peer(&self, a: &mut Acc, i: usize) {
        let l = self.low(i);
        let prev = self.prev_low(i);
        // "shall send Relevant Data only to the parties identified in …".
        let sends_only_to = l == "to"
            && prev == "only"
            && (i.saturating_sub(8)..i).any(|k| {
                matches!(
                    self.low(k),
                    "send" | "sends" | "connect" | "connects" | "talk" | "talks" | "egress"
                )
            });
        let connect_to = sends_only_to
            || l == "to"
                && matches!(
                    prev,
                    "connect"
                        | "connects"
                        | "connecting"
                        | "connections"
                        | "connection"
                        | "talk"
                        | "talks"
                        | "egress"
                        | "outbound"
                        | "calls"
                        | "requests"
                        | "send"
                        | "sends"
                        | "upload"
                        | "uploads"
                );
        // "restrict the admin page (9101) of the haproxy pods to infra
        // nodes": what it is restricted to, on whichever side it says.
        let restricted_to = l == "to"
            && (i.saturating_sub(16)..i)
                .rev()
                .take_while(|&k| {
                    // (A comma inside an aside ends no clause.)
                    !self.ends_clause(k)
                        || self.paren_depth(self.toks[k].end, self.toks[i].start) < 0
                })
                .any(|k| matches!(self.low(k), "restrict" | "restricts" | "limit" | "limits"));
        // "Only the consortium's partner libraries should be able to connect
        // to 9998 on the zebra pods …", "only our partners may reach …": the
        // peers let in, said as the subject by a common noun.
        let subject = l == "only";
        let direction = match l {
            "from" => Some(Direction::Ingress),
            _ if subject => Some(Direction::Ingress),
            "reach" | "reaches" | "reaching" => Some(Direction::Egress),
            _ if connect_to => Some(Direction::Egress),
            _ if restricted_to => None,
            _ => return,
        };
        // (Without a determiner only there: "to infra nodes".)
        // ("only from CloudFront's origin-facing servers": a possessive too.)
        let determiner = matches!(self.low(i + 1), "the" | "our" | "their")
            || self.low(i + 1).ends_with("'s")
            || self.low(i + 1).ends_with("’s");
        if !(determiner || restricted_to) || determiner && self.ends_clause(i + 1) {
            return;
        }
        let start = i + if determiner { 2 } else { 1 };
        let words = |k: usize| {
            let t = &self.toks[k];
            !t.paren
                && t.text
                    .trim_end_matches([',', '.', ';', ':'])
                    .chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’'))
        };
        let modal = |k: usize| {
            matches!(
                self.low(k),
                "should" | "may" | "must" | "can" | "shall" | "will"
            )
        };
        let Some(end) = (start..(start + 4).min(self.toks.len()))
            .take_while(|&k| words(k))
            .find(|&k| {
                let next = self.low(k + 1);
                self.ends_clause(k)
                    || k + 1 == self.toks.len()
                    || matches!(
                        next,
                        "on" | "over" | "via" | "at" | "only" | "to" | "into" | "in" | "and" | "or"
                    ) && !self.toks[k + 1].paren
                    || parse_port(next).is_some()
                    // "the OAI-PMH providers our collections are configured
                    // to harvest from": a relative clause says which.
                    || matches!(next, "our" | "we" | "that" | "which" | "who" | "they")
                    // ("the parties identified in the Sub-processor List").
                    || matches!(next, "identified" | "listed" | "named" | "mentioned")
                    || subject && modal(k + 1)
            })
        else {
            return;
        };
        // (The subject's verb: "… should be able to connect to", "… may
        // reach".)
        if subject
            && !(end + 2..(end + 6).min(self.toks.len())).any(|k| {
                matches!(
                    self.low(k),
                    "connect" | "reach" | "access" | "talk" | "call" | "hit" | "use" | "query"
                )
            })
        {
            return;
        }
        // "to client (2181), server (2888)": glossed with its value;
        // "to those two": said before.
        if self.toks.get(end + 1).is_some_and(|t| t.paren) && !self.ends_clause(end)
            || matches!(
                self.low(start),
                "those" | "these" | "them" | "it" | "that" | "this" | "both" | "all" | "each"
            )
        {
            return;
        }
        // Words that name a peer of their own, or the policy's pods.
        // ("the nodes", "the designated hosts": which ones is not said; "the
        // host" is the node's own entity.)
        let named = (start..=end).any(|k| {
            matches!(
                self.low(k).trim_end_matches([',', '.', ';', ':']),
                "pod"
                    | "pods"
                    | "namespace"
                    | "namespaces"
                    | "internet"
                    | "world"
                    | "web"
                    | "outside"
                    | "public"
                    | "cluster"
                    | "node"
                    | "host"
                    | "apiserver"
                    | "api"
                    | "kubelet"
                    | "dns"
                    | "metadata"
                    | "same"
                    | "rest"
                    | "container"
                    | "containers"
                    | "workload"
                    | "workloads"
                    | "app"
                    | "application"
                    | "deployment"
                    | "everything"
                    | "anywhere"
                    | "tcp"
                    | "udp"
                    | "sctp"
                    | "icmp"
                    | "port"
                    | "ports"
            )
        });
        if !named {
            a.vague_peer.get_or_insert((
                self.text[self.toks[i + 1].start..self.toks[end].end]
                    .trim_end_matches([',', '.', ';', ':'])
                    .to_string(),
                direction,
            ));
        }
    }

    /// Whether the port word at `i` is followed by what sets its number
    /// ("the HTTP port set by CADENCE_WEB_PORT", "the port configured in
    /// values.yaml"): a port whose number the text does not give.
    pub(super) fn port_set_elsewhere(&self, i: usize) -> bool {
        matches!(
            self.low(i + 1),
            "set" | "configured" | "defined" | "given" | "chosen" | "specified" | "picked"
        ) && matches!(
            self.low(i + 2),
            "by" | "in" | "via" | "through" | "with" | "from"
        )
    }

    /// Notes at token `i` ("port"/"ports") a port said by whose it is or
    /// what listens on it, not by its number.
    pub(super) fn note_unnamed_port(&self, a: &mut Acc, i: usize) {
        let t = &self.toks[i];
        let l = t.lower.as_str();
        let prev = self.prev_low(i).to_string();
        let next = self.low(i + 1).to_string();
        // "on the backend's port", "on its port": a port said but
        // not given (refused with `which port` when none is).
        let possessive = matches!(prev.as_str(), "its" | "their")
            // "on its internal port", "on its TCP agent listener port".
            || (i.saturating_sub(4)..i.saturating_sub(1)).any(|k| {
                matches!(self.low(k), "its" | "their")
                    && (k + 1..i).all(|j| {
                        // "on its transaction-mode port".
                        self.low(j).chars().all(|c| c.is_ascii_alphabetic() || c == '-')
                    })
            })
            // "on the passive agent port": what listens there, in words.
            // (Not "at the IP address or port level": "port" is no noun
            // there, and the words are a list.)
            || !matches!(
                next.as_str(),
                "level" | "range" | "ranges" | "number" | "numbers" | "mapping" | "forwarding"
            ) && (i.saturating_sub(4)..i.saturating_sub(2)).any(|k| {
                self.low(k) == "the"
                    && (k + 1..i).all(|j| {
                        let w = self.low(j);
                        w.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
                            && proto(w).is_none()
                            && !matches!(
                                w,
                                "named" | "same" | "default" | "standard" | "http" | "https"
                                    | "following" | "above" | "below" | "well-known" | "or"
                                    | "and"
                            )
                    })
            })
            // "jellyfin's HTTP port": whose, and of what kind.
            || i >= 2 && (self.low(i - 2).ends_with("'s") || self.low(i - 2).ends_with("’s"))
            || prev.ends_with("'s")
            || prev.ends_with("’s")
            || prev.ends_with("s'")
            // "block non-business ports".
            || prev.starts_with("non-")
            // "on application ports", "the service port".
            || matches!(prev.as_str(), "application" | "app" | "service" | "exposed" | "container")
            // "block unused or unnecessary ports": which ones?
            || matches!(
                prev.as_str(),
                "unused" | "unnecessary" | "unneeded" | "open" | "other" | "specific"
                    | "whatever" | "whichever"
                    | "certain" | "required" | "needed" | "necessary" | "extra"
                    | "listening" | "some"
                    // "Cassandra JMX monitoring port": what it serves.
                    | "monitoring" | "metrics" | "admin" | "management" | "debug" | "jmx"
                    // "the private API port", "the RPC port".
                    | "api" | "rpc"
                    // "let namespace ci in on that port" (whatever it is set to).
                    | "that"
            );
        // "on the ports used by the PostgreSQL and MSSQL databases",
        // "on the database port", "the redis ports": a port named
        // by what listens on it.
        // "on the port coredns serves its metrics on": a port said by
        // what is served there.
        // "on the port LT_PORT sets": the setting that holds it.
        let setting = prev == "the"
            && l == "port"
            && self.toks.get(i + 1).is_some_and(|t| {
                let w = t.text.trim_end_matches([',', '.', ';', ')']);
                w.contains('_') && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            });
        let possessive = possessive
            || self.port_set_elsewhere(i)
            || prev == "the"
                && l == "port"
                && next.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && !matches!(next.as_str(), "named" | "number" | "" | "and" | "or")
            || next == "used"
            || setting
            || i >= 2
                && self.low(i - 2) == "the"
                && prev != "named"
                && parse_port(&prev).is_none()
                && proto(&prev).is_none();
        // ("whether it's the image or an exposed port": any port, none the
        // ask refers to.)
        let any_one = i >= 2
            && matches!(self.low(i - 2), "a" | "an" | "any")
            && matches!(
                prev.as_str(),
                "exposed" | "open" | "listening" | "extra" | "other"
            );
        if possessive && !any_one && parse_port(&next).is_none() {
            let from = self.toks[i.saturating_sub(1)].start;
            let to = if setting { self.toks[i + 1].end } else { t.end };
            a.unnamed_port
                .get_or_insert(self.text[from..to].to_string());
        }
    }
}
