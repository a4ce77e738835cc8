//! Which side of a connection a workload is on: the prepositions and verbs
//! that cue the next workload mentioned as a peer sent to or received
//! from ("from", "to", "reach", "collect metrics from", "accessible to"),
//! the verbs that imply a direction ("accepts", "sends"), and the pods
//! with each other or in their own namespace.

use super::*;

impl<'a> Parser<'a> {
    /// The "to" of a "limit/restrict access to" that the word at `i`
    /// follows in its clause ("limit networked access to the REST port
    /// 8081 of app=x").
    fn limits_access(&self, i: usize) -> Option<usize> {
        (i.saturating_sub(12)..i).find_map(|k| {
            let limits = matches!(
                self.low(k),
                "limit" | "limits" | "limiting" | "restrict" | "restricts" | "restricting"
            ) && (k..i).all(|j| {
                // (Inside a gloss: "of hivemq-edge (app.kubernetes.io/name:
                // hivemq-edge, ns shopfloor) to …".)
                !self.ends_clause(j)
                    || self.toks[j].paren
                    || self.paren_depth(self.toks[k].start, self.toks[j].end) > 0
            });
            (k + 1..(k + 4).min(i))
                .find(|&j| self.low(j) == "access" && self.low(j + 1) == "to")
                .filter(|_| limits)
                .map(|j| j + 1)
        })
    }

    /// Whether the "to" at `i` ends "restrict port 22 on the bastion pods
    /// (…) to …": a port of the pods, the verb's object, kept for who follows.
    fn restricts_a_port(&self, i: usize) -> bool {
        (i.saturating_sub(12)..i).any(|k| {
            matches!(self.low(k), "restrict" | "restricts" | "limit" | "limits")
                && (matches!(self.low(k + 1), "port" | "ports")
                    && parse_port(self.low(k + 2)).is_some()
                    || parse_port(self.low(k + 1)).is_some())
                && (k..i).all(|j| {
                    !self.ends_clause(j)
                        || self.paren_depth(self.toks[k].start, self.toks[j].end) > 0
                })
                && (k..i).all(|j| !matches!(self.low(j), "egress" | "outbound" | "outgoing" | "to"))
        })
    }

    /// Whether the "to" at `i` ("… limited to", "… restricted to") follows
    /// a port of the pods as its subject: "metrics (8443) should be limited
    /// to the monitoring namespace", "port 9090 is restricted to …" — the
    /// port is the pods' own, what it is limited to reaches it.
    /// ("port 9391 on the web pods (app=concourse-web, …) should be
    /// limited to …": the pods whose port it is, between.)
    fn port_restricted(&self, i: usize) -> bool {
        let whose = |j: usize| {
            matches!(self.low(j), "on" | "of")
                && (j + 1..(j + 5).min(i)).any(|k| matches!(self.low(k), "pods" | "pod"))
        };
        (i.saturating_sub(16)..i.saturating_sub(1))
            .rev()
            .take_while(|&k| !self.ends_clause(k) || self.toks[k].paren)
            .any(|k| {
                let w = self
                    .low(k)
                    .trim_matches(|c: char| matches!(c, '(' | ')' | ','));
                parse_port(w).is_some()
                    && (self.toks[k].paren || k > 0 && matches!(self.low(k - 1), "port" | "ports"))
                    && (k + 1..i).all(|j| !matches!(self.low(j), "to" | "from" | "on") || whose(j))
            })
    }

    /// Whether a "from"/"to" waiting for its workload lapses at token `i`:
    /// at the end of its clause ("put into the default deny mode at egress:
    /// role=x …"), a workload named after a comma, colon or full stop is not
    /// its object. (Not before the labels that gloss the pods it names:
    /// "reach 2000 on the piston pods, app.kubernetes.io/name=piston in …".)
    pub(super) fn cue_lapses(&self, i: usize) -> bool {
        // "to CoreDNS, the pods labelled k8s-app=kube-dns …": the pods the
        // name stands for, said after its comma.
        let k = i + usize::from(self.low(i) == "the");
        let restated = self.toks[i - 1].comma
            && matches!(self.low(k), "pods" | "pod")
            && matches!(self.low(k + 1), "labelled" | "labeled" | "with");
        let glossed = restated
            || self.toks[i - 1].comma
                && split_label(self.low(i)).is_some()
                && matches!(
                    self.low(i - 1).trim_end_matches(','),
                    "pods" | "pod" | "deployment" | "statefulset" | "daemonset" | "workloads"
                    // "reach 9644 on the brokers, app.kubernetes.io/component=…".
                    | "brokers" | "servers" | "workers" | "replicas" | "instances" | "gateways"
                    | "proxies" | "nodes" | "agents" | "controllers"
                    // "scrape 8080 on the cluster operator, name=…".
                    | "operator" | "operators" | "controller" | "server" | "broker"
                    | "gateway" | "proxy" | "agent" | "worker" | "service" | "services"
                )
                && (self.cue_at + 1..i - 1).all(|k| {
                    self.low(k)
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-')
                        && !self.ends_clause(k)
                });
        matches!(self.cue, Some(Cue::From | Cue::To))
            && self.cue_at < i - 1
            && self.ends_clause(i - 1)
            && !glossed
    }

    /// Reads token `i` (lower-cased `l`) as a side or direction word;
    /// whether it is used up (the scan goes on with the next token).
    pub(super) fn side_word(
        &mut self,
        a: &mut Acc,
        i: usize,
        l: &str,
        prev: &str,
        next: &str,
        mode: Mode,
    ) -> bool {
        // "Applies to: the etcd pods …": the next group is the policy's.
        if l.trim_end_matches(':') == "to"
            && matches!(prev, "applies" | "apply" | "applied" | "applying")
        {
            a.applies_to_group.get_or_insert(self.groups.len());
        }
        match l {
            // "collect metrics from the NATS pods", "scrape from …": what
            // is collected from is reached.
            "from"
                if (i.saturating_sub(3)..i).any(|k| {
                    matches!(
                        self.low(k),
                        "scrape"
                            | "scrapes"
                            | "scraping"
                            | "collect"
                            | "collects"
                            | "collecting"
                            | "gather"
                            | "gathers"
                            | "gathering"
                    )
                }) =>
            {
                self.cue = Some(Cue::To);
                self.cue_at = i;
                true
            }
            // "keep the world off port 8080 of …", "must be kept off port
            // 8888 of …": who is kept off the pods' port comes in.
            // ("off UDP 5002, 5004 … of the janus pods": its protocol first.)
            // ("kept off the status port 18121/udp of …": the port's name
            // between.)
            "off"
                if (matches!(next, "port" | "ports")
                    || next == "the"
                        && (i + 2..(i + 5).min(self.toks.len()))
                            .take_while(|&k| {
                                self.low(k)
                                    .trim_end_matches("'s")
                                    .chars()
                                    .all(|c| c.is_ascii_lowercase() || c == '-')
                                    || parse_port(self.low(k)).is_some()
                            })
                            // ("off the master's 7077 and 8080": the
                            // owner's ports by number.)
                            .any(|k| {
                                matches!(self.low(k), "port" | "ports")
                                    || parse_port(self.low(k)).is_some()
                                        && self.low(k - 1).ends_with("'s")
                            })
                    || parse_port(next).is_some()
                    || proto(next).is_some()
                        && (parse_port(self.low(i + 2).trim_end_matches(',')).is_some()
                            || matches!(self.low(i + 2), "port" | "ports")))
                    && (i.saturating_sub(8)..i)
                        .any(|k| matches!(self.low(k), "keep" | "keeps" | "kept")) =>
            {
                a.dir_implied = Some(Direction::Ingress);
                // "keep the rebels (org=alliance) off port 80 of the
                // deathstar pods (…)": the pods kept off, named before, come
                // in; the pods whose port it is are the policy's.
                // (Only a group named after "keep": not the pods of an
                // aside before it, "… the pritunl pods (app=pritunl, …) …
                // Keep the outside world off 443 of the pritunl pods".)
                let keep =
                    (i.saturating_sub(8)..i).find(|&k| matches!(self.low(k), "keep" | "keeps"));
                let last_group = self.groups.len().saturating_sub(1);
                let named_after_keep = keep.is_some_and(|k| {
                    self.mentions
                        .iter()
                        .filter(|m| m.group == last_group)
                        .all(|m| m.start > self.toks[k].start)
                });
                if let Some(last) = self.groups.last_mut()
                    && *last == Cue::None
                    && named_after_keep
                {
                    *last = Cue::From;
                }
                self.cue = Some(Cue::None);
                true
            }
            "from" => {
                // "block the outside world from port 9000 of …": what is kept
                // from the pods comes in.
                // "block the pod network 10.244.0.0/16 from port 8443 of …":
                // an address kept from a port of the pods too.
                let from_port = parse_cidr(prev).is_some()
                    && (matches!(next, "port" | "ports") || parse_port(next).is_some());
                if i >= 2
                    && (from_port
                        || entity_word(prev, next).is_some_and(|(e, _)| {
                            e == kubescribe_core::intent::NetworkEntity::World
                        }))
                    && (i.saturating_sub(6)..i - 1).any(|k| BLOCK_WORDS.contains(&self.low(k)))
                {
                    a.dir_implied = Some(Direction::Ingress);
                    self.cue = Some(Cue::None);
                    return true;
                }
                self.cue = Some(Cue::From);
                self.cue_at = i;
                true
            }
            // "reach the metrics port 9090 of the mcp-server pods (…)": the
            // pods whose port is reached.
            // "connect to 8001 and 8444 on the kong gateway pods": so are
            // the pods the ports are on.
            // "scrape port 4191 (linkerd-admin) of the web pods": its gloss
            // between.
            "of" | "on"
                if (parse_port(prev.trim_start_matches(':')).is_some()
                    || matches!(prev, "port" | "ports")
                    || self.port_glossed_before(i))
                    && (i.saturating_sub(8)..i).any(|k| {
                        matches!(
                            self.low(k),
                            "reach"
                                | "reaches"
                                | "reaching"
                                | "access"
                                | "accesses"
                                | "hit"
                                | "contact"
                                | "connect"
                                | "call"
                                | "query"
                                | "scrape"
                        )
                            // "… should be able to open 5672 on rabbitmq (…)"
                            // (not "keep 8080 open on …").
                            || matches!(self.low(k), "open" | "opens")
                                && k > 0
                                && matches!(self.low(k - 1), "to" | "can" | "may" | "could")
                    }) =>
            {
                // "limit access to port 8081 of app=x": the pods whose port
                // is kept are the policy's.
                self.cue = Some(if self.limits_access(i).is_some() {
                    Cue::None
                } else {
                    Cue::To
                });
                self.cue_at = i;
                true
            }
            // "only Traefik pods (…) can access the auth service (…)":
            // what is accessed is reached.
            // "only the router (…) may call the function pods (…)": so is
            // what is called or scraped.
            "access" | "accesses" | "call" | "scrape" | "query" | "contact"
                if matches!(
                    prev,
                    "can" | "may" | "could" | "should" | "must" | "cannot" | "to" | "only"
                ) && !matches!(next, "to" | "from") =>
            {
                // A file verb too ("allow nginx to access /etc/passwd"):
                // read on.
                self.cue = Some(Cue::To);
                self.cue_at = i;
                false
            }
            // "port 8080 of app=web should only be accessible to
            // app=prom", "access to app=pg is restricted to app=api":
            // who it is open to reaches it.
            // "accessible on 3000 to app=proxy": a port between.
            "to" if (i.saturating_sub(4)..i).any(|k| {
                matches!(
                    self.low(k),
                    "accessible" | "available" | "exposed" | "expose" | "denied" | "granted"
                ) && (k..i).all(|j| !self.ends_clause(j))
                    && (k + 1..i).all(|j| {
                        matches!(
                            self.low(j),
                            "on" | "over" | "via" | "port" | "ports" | "only" | "it"
                        ) || parse_port(self.low(j)).is_some()
                            || proto(self.low(j)).is_some()
                    })
            }) || matches!(prev, "restricted" | "limited")
                && ((i.saturating_sub(10)..i)
                    .any(|k| self.low(k) == "access" && self.low(k + 1) == "to")
                    || self.port_restricted(i))
                && !(i.saturating_sub(10)..i)
                    .any(|k| matches!(self.low(k), "egress" | "outbound" | "outgoing"))
                // "limit access to port 8081 of app=x (…) to app=op": who
                // may reach it.
                || self.restricts_a_port(i)
                || self.limits_access(i).is_some_and(|to| to < i)
                    // ("… as only the apiserver needs to access it": an
                    // infinitive.)
                    && !matches!(
                        next,
                        "access" | "reach" | "connect" | "talk" | "call" | "be" | "send" | "use"
                    ) =>
            {
                self.cue = Some(Cue::From);
                self.cue_at = i;
                // "accessible to 10.1.0.0/16", "expose it only to specific
                // source IPs: 10.0.9.204": the addresses reach the pods.
                // "… restricted to the office VPN range 10.8.0.0/16".
                let cidr_at =
                    |k: usize| parse_cidr(self.low(k).trim_end_matches([',', '.'])).is_some();
                if (i + 1..(i + 5).min(self.toks.len())).any(cidr_at)
                    || (i + 1..(i + 7).min(self.toks.len()))
                        .take_while(|&k| k == i + 1 || !self.ends_clause(k - 1))
                        .any(cidr_at)
                {
                    a.dir_implied.get_or_insert(Direction::Ingress);
                }
                true
            }
            // "Apply that to the redis pods …": the pods the policy is for.
            "to" if (i.saturating_sub(3)..i)
                .any(|k| matches!(self.low(k), "apply" | "applies" | "applied" | "applying"))
                && !matches!(
                    next,
                    "all" | "every" | "each" | "any" | "it" | "them" | "this" | "that"
                ) =>
            {
                self.cue = Some(Cue::None);
                true
            }
            "to" | "toward" | "towards" | "into" | "reach" | "reaching" | "reaches" | "hit"
            | "contact" | "scrape" | "scrapes" | "query" | "queries" => {
                self.cue = Some(Cue::To);
                self.cue_at = i;
                // "allow prometheus (…) into the coredns pods (…)": the pods
                // let into are protected, as in "only X may connect to Y".
                if l == "into"
                    && !self.groups.is_empty()
                    && (i.saturating_sub(10)..i)
                        .any(|k| matches!(self.low(k), "allow" | "let" | "permit" | "admit"))
                {
                    a.only_subject = true;
                }
                // "towards the PLC subnet 192.168.10.0/24": an address after
                // a few words naming it.
                let mut k = i + 1;
                while k < i + 5
                    && !matches!(
                        self.low(k),
                        "from" | "on" | "for" | "in" | "with" | "and" | "or" | "by" | "of"
                    )
                    && self
                        .low(k)
                        .chars()
                        .all(|c| c.is_ascii_alphabetic() || c == '-')
                    && !self.low(k).is_empty()
                    && !self.ends_clause(k)
                {
                    k += 1;
                }
                let addressed = k > i + 1 && {
                    let w = self.low(k).trim_end_matches([',', '.', ';', ')']);
                    parse_cidr(w).is_some() || is_fqdn(w)
                };
                // ("every connection to port 9000 of the minio pods (…)":
                // the pods' own port, reached from outside.)
                // ("log every connection to 8080 on the controllermanager
                // pods": the port alone.)
                let at = if matches!(next, "port" | "ports") {
                    i + 2
                } else {
                    i + 1
                };
                let pods_port = (matches!(next, "port" | "ports")
                    || l == "to" && matches!(prev, "connection" | "connections" | "traffic"))
                    && parse_port(self.low(at)).is_some()
                    && matches!(self.low(at + 1), "of" | "on")
                    && (at + 2..(at + 6).min(self.toks.len()))
                        .any(|k| matches!(self.low(k), "pods" | "pod"));
                if pods_port && !matches!(next, "port" | "ports") {
                    a.dir_implied.get_or_insert(Direction::Ingress);
                }
                if mode == Mode::None
                    && (matches!(next, "port" | "ports") && !pods_port
                        || parse_cidr(next).is_some()
                        || is_fqdn(next))
                    || addressed
                    // "every connection the pods open towards 10.0.0.0/8".
                    || l.starts_with("toward") && (parse_cidr(next).is_some() || is_fqdn(next))
                {
                    a.dir_implied.get_or_insert(Direction::Egress);
                }
                // "For the cache (…): only the cart-api pods (app=cart-api)
                // may reach 6379": the ones let in reach the port of the
                // pods named before.
                let port_reached = matches!(l, "reach" | "reaches")
                    && (parse_port(next).is_some()
                        || matches!(next, "port" | "ports")
                            && parse_port(self.low(i + 2).trim_end_matches([',', '.', ';']))
                                .is_some());
                // (A list between: "only the office VPN, 10.8.0.0/16, and
                // the cart-api pods (app=cart-api) may reach 6379".)
                let only_subject = (i.saturating_sub(16)..i).any(|k| self.low(k) == "only")
                    && (i.saturating_sub(16)..i)
                        .any(|k| split_label(self.low(k).trim_matches(['(', ')', ','])).is_some());
                // "Nothing but the apiserver at 172.18.0.2 should be able to
                // reach 8443 on them": the port of the pods named before.
                let on_them = port_reached && {
                    let at = if parse_port(next).is_some() {
                        i + 2
                    } else {
                        i + 3
                    };
                    self.low(at) == "on"
                        && matches!(
                            self.low(at + 1).trim_end_matches(['.', ',', ';']),
                            "them" | "it" | "these" | "those"
                        )
                };
                if port_reached && (only_subject && self.groups.len() >= 2 || on_them) {
                    a.dir_implied.get_or_insert(Direction::Ingress);
                    self.cue = Some(Cue::None);
                }
                if l.starts_with("reach") || l.starts_with("quer") {
                    a.dir_implied.get_or_insert(Direction::Egress);
                }
                true
            }
            // "make the db only accessible by app=api": who reaches it.
            // "needs to be accessed only by Keycloak (app=keycloak)".
            "by" if matches!(
                prev,
                "accessible" | "reachable" | "available" | "accessed" | "reached" | "contacted"
            ) || prev == "only"
                && matches!(
                    self.low(i.saturating_sub(2)),
                    "accessed" | "reached" | "contacted"
                        // "should be reachable only by pods labelled …".
                        | "accessible" | "reachable"
                ) =>
            {
                self.cue = Some(Cue::From);
                self.cue_at = i;
                true
            }
            "for" | "by" => {
                self.cue = Some(Cue::None);
                true
            }
            "accept" | "accepts" | "receive" | "receives" | "receiving" => {
                a.dir_implied.get_or_insert(Direction::Ingress);
                false
            }
            // "… accept calls from inside the cluster only": what is
            // accepted, a noun.
            "call" | "calls"
                if matches!(
                    self.prev_low(i),
                    "accept"
                        | "accepts"
                        | "receive"
                        | "receives"
                        | "take"
                        | "takes"
                        | "answer"
                        | "answers"
                        | "serve"
                        | "serves"
                        | "handle"
                        | "handles"
                ) =>
            {
                false
            }
            "initiate" | "initiates" | "initiating" | "send" | "sends" | "sending" | "connect"
            | "connecting" | "talk" | "call" | "calls" | "opening" | "push" | "pushes"
            | "upload" | "uploads" | "fetch" | "fetches" | "download" | "downloads" | "pull"
            | "pulls" | "resolve" => {
                // "for app=db, only app=api may connect on 5432": the one
                // let in connects to the pods named before, no object said.
                // ("… may connect to 2283", "… to port 8432": a port alone.)
                let port_after_to = next == "to"
                    && (parse_port(self.low(i + 2).trim_end_matches(['.', ',', ';'])).is_some()
                        || self.low(i + 2) == "port"
                            && parse_port(self.low(i + 3).trim_end_matches(['.', ',', ';']))
                                .is_some());
                let objectless = matches!(next, "on" | "over" | "via" | "at" | "")
                    || parse_port(next).is_some()
                    || port_after_to;
                // ("only the busybox debug pod (run=busybox) may connect on
                // 9376": its name and gloss between.)
                let only_subject = (i.saturating_sub(9)..i).any(|k| self.low(k) == "only")
                    && (i.saturating_sub(9)..i)
                        .any(|k| split_label(self.low(k).trim_matches(['(', ')', ','])).is_some());
                let scoped_before = self.groups.len() >= 2;

                // (Only when the sentence opens with "only" and nothing named
                // before it: "Only app=shlink may connect on 6379 in
                // namespace links".)
                // ("Only the ingress-nginx namespace may connect on 6900 in
                // namespace argilla": a namespace is who connects too.)
                let only_at = (i.saturating_sub(6)..i).find(|&k| self.low(k) == "only");
                let who_connects = only_subject
                    || only_at.is_some_and(|o| {
                        (o + 1..i).any(|k| matches!(self.low(k), "namespace" | "ns"))
                    });
                // ("in namespace immich only the ingress-nginx namespace may
                // connect to 2283": where, first.)
                let where_first = |o: usize| {
                    o >= 3
                        && self.low(o - 3) == "in"
                        && matches!(self.low(o - 2), "namespace" | "ns")
                        && (o == 3 || self.ends_clause(o - 4) || self.low(o - 4) == "so")
                };
                if let Some(o) = only_at
                    && l.starts_with("connect")
                    && objectless
                    && who_connects
                    && (!scoped_before || where_first(o) && self.groups.len() <= 2)
                    // ("…, so only the killbill pods (…) may connect on
                    // 8080": a conclusion's "so" first.)
                    && (o == 0
                        || self.ends_clause(o - 1)
                        || self.low(o - 1) == "so" && (o < 2 || self.ends_clause(o - 2))
                        || where_first(o))
                    && self.mentions.iter().all(|m| {
                        m.start >= self.toks[o].start
                            || o >= 3 && m.start >= self.toks[o - 3].start
                    })
                {
                    let t = &self.toks[i];
                    a.connects_to_unnamed = Some(self.text[self.toks[o].start..t.end].to_string());
                }
                // "only the SIP proxy pods (…) should be able to send to that
                // port": the pods' own port, said before, is reached.
                let to_their_port = next == "to"
                    && matches!(self.low(i + 2), "that" | "this" | "its" | "their")
                    && matches!(
                        self.low(i + 3).trim_end_matches(['.', ',', ';']),
                        "port" | "ports"
                    )
                    && scoped_before;
                a.dir_implied.get_or_insert(
                    if l.starts_with("connect")
                        && objectless
                        && only_subject
                        && scoped_before
                        && a.connects_to_unnamed.is_none()
                        || to_their_port
                    {
                        Direction::Ingress
                    } else {
                        Direction::Egress
                    },
                );
                false
            }
            _ => false,
        }
    }

    /// "Only the office VPN, 10.8.0.0/16, may connect to 5005 on the
    /// gateway pods", "only the internet may reach …": addresses that "only"
    /// names before the modal and a verb of reaching are who comes in.
    pub(super) fn only_addresses_come_in(&self) -> bool {
        (0..self.toks.len()).any(|i| {
            self.low(i) == "only"
                && (i + 1..(i + 8).min(self.toks.len()))
                    .take_while(|&k| !matches!(self.low(k), "may" | "can" | "should" | "must"))
                    .any(|k| {
                        let w = self.low(k).trim_end_matches([',', ')', ';']);
                        parse_cidr(w.trim_start_matches('(')).is_some()
                            || matches!(w, "internet" | "world")
                    })
                && (i + 2..(i + 10).min(self.toks.len())).any(|k| {
                    matches!(self.low(k), "may" | "can" | "should" | "must")
                        && matches!(
                            self.low(k + 1),
                            "connect" | "reach" | "access" | "call" | "contact" | "talk"
                        )
                })
        })
    }

    /// The pods with each other, or the policy's own namespace as a peer, at
    /// token `i` (of a clause ending before `n`): "talk to each other",
    /// "between the nodes within the same cluster", "between pods in the
    /// same namespace", "from pods in its own namespace", "… and Gitlab in
    /// the same namespace" (where named peers are). The index after the
    /// phrase, or `None`.
    pub(super) fn among_themselves(
        &mut self,
        a: &mut Acc,
        mut i: usize,
        n: usize,
        prev: &str,
        next: &str,
    ) -> Option<usize> {
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        // "allow pods in namespace shop to talk to each other": the
        // selected pods receive from themselves.
        // "… between the nodes within the same redis-cluster", "among
        // the members": the selected pods with each other (not "between
        // the web pods and the db pods").
        // "between pods in the same namespace".
        let among_themselves = matches!(l, "between" | "among" | "amongst")
            && next == "pods"
            && self.low(i + 2) == "in"
            && matches!(self.low(i + 3), "the" | "their" | "its")
            && matches!(self.low(i + 4), "same" | "own")
            || matches!(l, "between" | "among" | "amongst")
                && next == "the"
                && matches!(
                    self.low(i + 2).trim_end_matches([',', '.']),
                    "nodes" | "pods" | "members" | "instances" | "replicas" | "brokers"
                )
                && !(i + 3..(i + 7).min(n)).any(|k| matches!(self.low(k), "and" | "&"));
        // "only the sentinels and the redis pods themselves", "only from
        // the other cockroachdb pods", "from other cache-a nodes": the
        // selected pods are a peer too.
        let members = |w: &str| {
            matches!(
                w.trim_end_matches([',', '.', ')', ';']),
                "pods" | "nodes" | "replicas" | "members" | "instances" | "brokers"
            )
        };
        // ("The gateway pods themselves may only connect out …": the
        // subject said again, no peer: only in a list or after a cue.)
        let listed = matches!(self.cue, Some(Cue::From | Cue::To))
            || (i.saturating_sub(4)..i).any(|k| matches!(self.low(k), "and" | "or"));
        let self_named = if l.trim_end_matches([',', '.', ')', ';']) == "themselves"
            && members(prev)
            && listed
        {
            Some((String::new(), i + 1))
        } else if l == "other"
            && members(self.low(i + 2))
            && next
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && next.len() > 1
            && !matches!(next, "than" | "the" | "than:")
        {
            Some((next.to_string(), i + 3))
        } else if l == "other"
            && prev == "the"
            && members(next)
            && next.trim_end_matches([',', '.', ')', ';']) != "pods"
            && matches!(self.cue, Some(Cue::From | Cue::To))
        {
            // "accept 5701 only from the other members": the members of
            // the same cluster (not "the other pods", any pod).
            Some((String::new(), i + 2))
        } else {
            None
        };
        if let Some((name, end)) = self_named {
            // "… only from other cache-a nodes": the side they are on.
            let side = match self.cue {
                Some(Cue::From) => Some(Direction::Ingress),
                Some(Cue::To) => Some(Direction::Egress),
                _ => None,
            };
            if a.dir_implied.is_none() {
                a.dir_implied = side;
            }
            a.self_peer = Some(name);
            return Some(end);
        }
        if l == "each" && next.trim_end_matches([',', '.']) == "other"
            || l == "one" && next.trim_end_matches([',', '.']) == "another"
            || among_themselves
        {
            a.each_other = true;
            a.dir_explicit.get_or_insert(Direction::Ingress);
            self.cue = None;
            i += 2;
            return Some(i);
        }
        // "from pods in its own namespace": the policy's namespace, every pod.
        // "… only access services and pods inside their namespace": the
        // object of a verb of reaching, inside the pods' own namespace.
        // "to same-namespace traffic only".
        let own_ns_words = if matches!(l, "same-namespace" | "intra-namespace") {
            1
        } else if matches!(l, "its" | "their" | "the")
            && matches!(next, "own" | "same")
            && matches!(self.low(i + 2), "namespace" | "ns")
        {
            3
        } else if matches!(
            next.trim_end_matches([',', '.', ')', ';']),
            "namespace" | "ns"
        ) && (matches!(l, "its" | "their")
                // "from other pods in the namespace": the pods' own.
                || matches!(l, "the" | "this")
                    && i >= 3
                    && matches!(self.low(i - 1), "in" | "of" | "within" | "inside")
                    && matches!(self.low(i - 2), "pods" | "pod" | "workloads")
                    && self.low(i - 3) == "other")
        {
            2
        } else if l == "the"
            // "from containers within the tenant's namespace": the owner
            // the policy is written for, by a common noun.
            && matches!(
                next.trim_end_matches("'s").trim_end_matches("’s"),
                "tenant" | "team" | "app" | "application" | "workload" | "project" | "pod"
            )
            && (next.ends_with("'s") || next.ends_with("’s"))
            && matches!(
                self.low(i + 2).trim_end_matches([',', '.', ')']),
                "namespace" | "ns"
            )
        {
            3
        } else {
            0
        };
        if own_ns_words > 0
            && self.cue.is_none_or(|c| c == Cue::None)
            && matches!(prev, "inside" | "within")
            && (i.saturating_sub(8)..i).any(|k| {
                matches!(
                    self.low(k),
                    "access" | "reach" | "connect" | "talk" | "send" | "call" | "contact"
                )
            })
        {
            self.cue = Some(Cue::To);
            self.cue_at = i;
        }
        // "… from namespace openshift-ingress and pods in the same
        // namespace": the list goes on after "and".
        let listed = matches!(self.groups.last(), Some(Cue::From | Cue::To))
            && (i.saturating_sub(4)..i).any(|k| self.low(k) == "and");
        // "from Keycloak (app=keycloak) and Gitlab (app=gitlab) in the
        // same namespace": where the peers just named are, no peer of
        // its own (a peer's namespace is the policy's by default).
        if own_ns_words > 0
            && (matches!(self.cue, Some(Cue::From | Cue::To)) || listed)
            && prev == "in"
            && i >= 1
            && self.after_mention(i - 1)
            && matches!(self.low(i + 1), "same" | "own")
        {
            i += own_ns_words;
            return Some(i);
        }
        // "allow same-namespace ingress": the peer before the direction.
        if own_ns_words == 1 && self.cue.is_none_or(|c| c == Cue::None) {
            self.cue = match next {
                "ingress" | "inbound" | "incoming" => Some(Cue::From),
                "egress" | "outbound" | "outgoing" => Some(Cue::To),
                _ => self.cue,
            };
        }
        if own_ns_words > 0 && (matches!(self.cue, Some(Cue::From | Cue::To)) || listed) {
            if self.cue.is_none_or(|c| c == Cue::None) {
                self.cue = self.groups.last().copied();
            }
            self.mention(Who::SameNs, i, t.start, self.toks[i + own_ns_words - 1].end);
            i += own_ns_words;
            return Some(i);
        }
        None
    }
}

/// The peers of a clause, each with its group and pod names, as the
/// intent holds them: "app=gateway pods from namespace edge", a
/// namespace-only peer right after a labels-only peer, is that peer's
/// namespace; a peer said twice is one.
pub(super) fn merged_peers(
    peers: Vec<(usize, PeerSelector, Vec<String>)>,
) -> Vec<(usize, PeerSelector, Vec<String>)> {
    let mut merged: Vec<(usize, PeerSelector, Vec<String>)> = Vec::new();
    for (g, p, pp) in peers {
        let ns_only = p.labels.is_empty()
            && p.namespace.is_some()
            && p.namespace_labels.is_empty()
            && !p.any_namespace
            && pp.is_empty();
        if let Some(last) = merged.last_mut()
            && ns_only
            && last.1.namespace.is_none()
            && !last.1.labels.is_empty()
            && last.0 + 1 == g
        {
            last.1.namespace = p.namespace;
            continue;
        }
        // "pods labelled role=restic-client, from any namespace": where the
        // pods before may be, not every pod of every namespace.
        let any_ns_only = p.labels.is_empty()
            && p.namespace.is_none()
            && p.namespace_labels.is_empty()
            && p.any_namespace
            && pp.is_empty();
        if let Some(last) = merged.last_mut()
            && any_ns_only
            && last.1.namespace.is_none()
            && !last.1.labels.is_empty()
            && last.0 + 1 == g
        {
            last.1.any_namespace = true;
            continue;
        }
        merged.push((g, p, pp));
    }
    let mut peers: Vec<(usize, PeerSelector, Vec<String>)> = Vec::new();
    for p in merged {
        if !peers.iter().any(|q| q.1 == p.1 && q.2 == p.2) {
            peers.push(p);
        }
    }
    peers
}
