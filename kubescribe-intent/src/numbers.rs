//! Reading a number as a port: ranges ("8000-8100", "6000 to 6500"), lists
//! written with slashes or plusses ("22/80/443", "8443 + 8943"), bare
//! numbers a verb reaches ("connect to 8001"), and ports in parentheses
//! after what listens on them, with the protocols they are served over
//! ("LAN Serf (8301, TCP and UDP)"); and the ports and protocols an
//! intent gets from what was read.

use super::values::push_port;
use super::*;

impl<'a> Parser<'a> {
    /// The port (or ports) at token `i`, recorded in `a` when `mode`, the
    /// words before or the parenthesis it opens make it one: how many tokens
    /// it took, or `None` when it is no port.
    pub(super) fn number_port(&mut self, a: &mut Acc, i: usize, mode: &mut Mode) -> Option<usize> {
        let n = self.toks.len();
        let t = self.toks[i].clone();
        let raw = t.text;
        let prev = self.prev_low(i).to_string();
        let next = self.low(i + 1).to_string();
        // "SSH/HTTP/HTTPS (22/80/443)": the services' ports, listed; "on
        // 80/443" too.
        let slash_ports = raw.contains('/')
            && raw
                .split('/')
                .all(|x| matches!(parse_port(x), Some((_, None))));
        if *mode != Mode::Port
            && raw.contains('/')
            && (self.port_in_parens(i) || slash_ports && matches!(prev.as_str(), "on" | "ports"))
        {
            *mode = Mode::Port;
        }
        // "the SSH port (22/2222)": ports listed with a slash.
        if *mode == Mode::Port
            && raw.contains('/')
            && let Some(list) = raw
                .split('/')
                .map(|x| match parse_port(x) {
                    Some((p, None)) => Some(p),
                    _ => None,
                })
                .collect::<Option<Vec<u16>>>()
        {
            self.ent(EntityKind::Port, t.start, t.end);
            let pending = std::mem::take(&mut a.pending_protos);
            for p in list {
                push_port(a, p, None, &pending);
            }
            return Some(1);
        }
        // "on 6379 / 26379", "8443 + 8943": a slash or a plus between ports
        // keeps the list going.
        if *mode == Mode::Port
            && matches!(raw, "/" | "+")
            && parse_port(self.low(i + 1)).is_some()
            && i > 0
            // After a port, or after the gloss that closes on it.
            && (parse_port(&prev).is_some() || self.text[..t.start].trim_end().ends_with(')'))
        {
            return Some(1);
        }
        // "may connect to 8001 and 8444 on …", "access to 9901 must …": a
        // bare number reached is a port.
        // "keep the internet off 9200 of the elasticsearch pods".
        // ("… off the master's 7077 and 8080": its owner between.)
        let off = prev == "off"
            || prev.ends_with("'s")
                && i >= 3
                && self.low(i - 2) == "the"
                && self.low(i - 3) == "off";
        if *mode == Mode::None
            && off
            && i >= 2
            && (i.saturating_sub(8)..i).any(|k| matches!(self.low(k), "keep" | "keeps" | "kept"))
            && parse_port(raw).is_some()
        {
            *mode = Mode::Port;
        }
        if matches!(*mode, Mode::None | Mode::File)
            && prev == "to"
            && i >= 2
            && (matches!(
                self.low(i - 2),
                "connect" | "connects" | "connecting" | "access" | "talk" | "talks" | "connections"
                    // "log every incoming connection to 9115".
                    | "connection" | "traffic" | "requests"
                    // "egress … restricted to 53 tcp and udp, 27017, …".
                    | "restricted" | "limited"
            )
                // "deny ingress from the world to 8200 and 8201".
                || (i.saturating_sub(6)..i).any(|k| {
                    matches!(self.low(k), "ingress" | "egress" | "inbound" | "outbound")
                })
                // "limit egress of app=x (…) to 1935 toward live.example.net".
                || matches!(next.as_str(), "toward" | "towards"))
            // ("may connect to 9500-9600 on the products nodes": a range.)
            && (matches!(parse_port(raw), Some((_, None)))
                || parse_port(raw).is_some() && matches!(self.low(i - 2), "connect" | "access"))
        {
            *mode = Mode::Port;
        }
        // "RTMP 1935 on the owncast pods must not …", "SSH 22 of the
        // bastion": a number after the name of what listens on it (not
        // "HTTP 403", a status).
        if *mode == Mode::None
            && i >= 1
            && !self.toks[i - 1].comma
            && matches!(parse_port(raw), Some((p, None)) if p >= 20
                && !(matches!(prev.as_str(), "http" | "https") && (100..600).contains(&p)))
            && {
                let w = self.toks[i - 1].text.trim_start_matches(['(', '"', '`']);
                SERVICE_NAMES.contains(&prev.as_str())
                    || (3..=6).contains(&w.len()) && w.chars().all(|c| c.is_ascii_uppercase())
            }
            && matches!(
                next.as_str(),
                "on" | "of" | "must" | "should" | "may" | "can"
            )
        {
            *mode = Mode::Port;
        }
        // "metrics ingress: 9464 TCP from …": a number its protocol follows.
        if *mode == Mode::None
            && matches!(parse_port(raw), Some((p, None)) if p >= 20)
            && !protos(next.trim_end_matches([',', '.', ';', ')'])).is_empty()
        {
            *mode = Mode::Port;
        }
        // "…, 9090 should only be reachable from 10.0.0.0/8", "2888 & 3888
        // are Zookeeper only ports": bare numbers that open their clause as
        // what is reachable, exposed or a port.
        if *mode == Mode::None && parse_port(raw).is_some() && self.subject_ports(i) {
            *mode = Mode::Port;
        }
        // "should only take 9092 from app=audit": what a pod takes or serves;
        // "permit 8443 into the gatekeeper pods": what is let in.
        // ("should accept only 9404 (the metrics port) from …": "only"
        // between.)
        let verb_before = if prev == "only" && i >= 2 {
            self.low(i - 2)
        } else {
            prev.as_str()
        };
        if *mode == Mode::None
            && matches!(
                verb_before,
                "take"
                    | "takes"
                    | "accept"
                    | "accepts"
                    | "receive"
                    | "receives"
                    | "serve"
                    | "serves"
                    | "permit"
                    | "allow"
                    | "open"
                    // "restrict 1234 to the tekton build steps".
                    | "restrict"
                    | "limit"
                    // "only prometheus may scrape 8081 on the pods …".
                    | "scrape"
                    | "scrapes"
            )
            // ("Permit 35000-35100 into the session pods": a range too.)
            && parse_port(raw).is_some()
            && (next.is_empty()
                || t.comma
                || matches!(
                    next.as_str(),
                    "from" | "only" | "and" | "or" | "on" | "tcp" | "udp" | "into" | "to"
                )
                || self.toks.get(i + 1).is_some_and(|x| x.paren))
        {
            *mode = Mode::Port;
        }
        // "broker port 9092, TLS port 9093, schema registry 8081": an item
        // of a list of named ports that names its port without the word.
        if *mode == Mode::None
            && matches!(parse_port(raw), Some((_, None)))
            && let Some(k) = (i.saturating_sub(4)..i).rev().find(|&k| self.toks[k].comma)
            && k + 1 < i
            && (k + 1..i).all(|j| self.low(j).chars().all(|c| c.is_ascii_alphabetic()))
            && parse_port(self.low(k).trim_end_matches([',', ';'])).is_some()
            && k > 0
            && matches!(self.low(k - 1), "port" | "ports")
        {
            *mode = Mode::Port;
        }
        // "on 3000 for the web UI and 2222 for git over ssh": the next
        // port of a list whose items say what each is for.
        if *mode == Mode::None
            && matches!(parse_port(raw), Some((_, None)))
            && (prev == "and" || i > 0 && self.toks[i - 1].comma)
            && let Some(k) = (i.saturating_sub(8)..i.saturating_sub(2))
                .rev()
                .find(|&k| self.low(k + 1) == "for")
            && let Some((p, None)) = parse_port(self.low(k))
            && a.ports.iter().any(|(s, _)| s.port == p)
            // (Words between, the last one's comma at most.)
            && (k + 2..i).all(|j| {
                (!self.ends_clause(j) || self.toks[j].comma && j + 1 == i)
                    && self
                        .low(j)
                        .chars()
                        .all(|c| c.is_ascii_alphabetic() || matches!(c, ',' | '-'))
            })
        {
            *mode = Mode::Port;
        }
        // "block the internet from reaching 6379 on …": what is reached.
        if *mode == Mode::None
            && matches!(prev.as_str(), "reaching" | "reach" | "reaches")
            && matches!(parse_port(raw), Some((_, None)))
            && !matches!(
                next.as_str(),
                "%" | "percent" | "times" | "seconds" | "requests"
            )
        {
            *mode = Mode::Port;
        }
        // "Block the outside world from 8265 on the ray head pods": what
        // the world is kept from.
        if *mode == Mode::None
            && prev == "from"
            && matches!(parse_port(raw), Some((_, None)))
            && i >= 2
            && matches!(
                self.low(i - 2).trim_end_matches(','),
                "world" | "internet" | "outside" | "everyone" | "anyone" | "everything"
            )
            // ("… from 5066 and 7443 on …", "from 5066, 7443 on": a list;
            // "from 22070 there".)
            && (matches!(next.as_str(), "on" | "of" | "in" | "at" | "there" | "here")
                || (t.comma || matches!(next.as_str(), "and" | "or"))
                    && (i + 1..(i + 3).min(self.toks.len())).any(|k| {
                        matches!(
                            parse_port(self.low(k).trim_end_matches([',', '.', ';'])),
                            Some((_, None))
                        )
                    }))
        {
            *mode = Mode::Port;
        }
        // "7777 on the websocket pods (…) should only take connections
        // from …": a port said first, on the pods.
        if *mode == Mode::None
            && matches!(parse_port(raw), Some((_, None)))
            && (i == 0 || self.ends_clause(i - 1))
            && matches!(next.as_str(), "on" | "of")
            && (i + 2..(i + 6).min(self.toks.len())).any(|k| {
                matches!(
                    self.low(k).trim_end_matches([',', '.']),
                    "pods" | "pod" | "containers"
                )
            })
        {
            *mode = Mode::Port;
        }
        // "plus the whole 11000-11999 range": a range of numbers said as one.
        // ("accept 21 and the passive range 21000-21010": named before it.)
        if *mode == Mode::None
            && matches!(parse_port(raw), Some((_, Some(_))))
            && (next.trim_end_matches([',', '.', ';']) == "range"
                || matches!(prev.as_str(), "range" | "ports" | "port"))
        {
            *mode = Mode::Port;
        }
        // "ports used by kubelet, including 10250 and 10255": the ports
        // said, listed.
        if *mode != Mode::Port
            && matches!(
                prev.as_str(),
                "including" | "incl." | "namely" | "e.g." | "like"
            )
            && matches!(
                parse_port(raw.trim_end_matches([',', '.', ';'])),
                Some((_, None))
            )
            && (i.saturating_sub(8)..i).any(|k| matches!(self.low(k), "port" | "ports"))
        {
            *mode = Mode::Port;
        }
        if *mode != Mode::Port && self.port_in_parens(i) {
            *mode = Mode::Port;
        }
        if let (Mode::Port, Some((p, e))) = (*mode, parse_port(raw)) {
            let mut end = t.end;
            let mut end_port = e;
            let mut consumed = 1;
            if e.is_none()
                && matches!(next.as_str(), "to" | "through" | "-")
                && i + 2 < n
                && let Some((q, None)) = parse_port(self.low(i + 2))
                && q > p
            {
                end = self.toks[i + 2].end;
                end_port = Some(q);
                consumed = 3;
            }
            self.ent(EntityKind::Port, t.start, end);
            let mut pending = std::mem::take(&mut a.pending_protos);
            let said_before = pending.clone();
            // "(8301, TCP and UDP)", "53 tcp and udp, 443": the protocols in
            // its parenthesis, or its item of the list, are this port's alone.
            if let Some(last) = self.protocols_closing(i) {
                for k in i + 1..=last {
                    let x = self.toks[k].clone();
                    if let Some(pr) = proto(x.lower.trim_end_matches([',', ')'])) {
                        self.ent(EntityKind::Protocol, x.start, x.end);
                        a.proto_seen = true;
                        if !pending.contains(&pr) {
                            pending.push(pr);
                        }
                    }
                }
                consumed = last + 1 - i;
            }
            push_port(a, p, end_port, &pending);
            // "TCP 80 and 443 and UDP 16384-32768": the protocol said before
            // a list goes on to its next port.
            let last = i + consumed - 1;
            let goes_on = self.toks[last].comma && parse_port(self.low(last + 1)).is_some()
                || matches!(self.low(last + 1), "and" | "or" | "&")
                    && parse_port(self.low(last + 2)).is_some();
            if goes_on && !said_before.is_empty() {
                a.pending_protos = said_before;
            }
            return Some(consumed);
        }
        None
    }
}

impl Parser<'_> {
    /// Whether the number at `i` is one of a list of numbers that opens its
    /// clause as what is reachable, exposed or a port ("9090 should only be
    /// reachable from …", "2888 & 3888 are Zookeeper only ports").
    fn subject_ports(&self, i: usize) -> bool {
        let n = self.toks.len();
        let item = |k: usize| {
            let w = self.low(k).trim_end_matches(',');
            parse_port(w).is_some() || matches!(w, "&" | "and" | "or" | "/")
        };
        // "8080 (staff) and 8081 (PUI) should be reachable only from …": a
        // port's gloss, one to three words in parentheses, is in the list.
        let gloss_from =
            |k: usize| self.toks[k].paren && k > 0 && parse_port(self.low(k - 1)).is_some();
        let gloss_end = |k: usize| {
            (k..(k + 3).min(n)).find(|&j| {
                let to = self.toks.get(j + 1).map_or(self.text.len(), |t| t.start);
                self.text[self.toks[j].start..to].contains(')')
            })
        };
        let mut first = i;
        loop {
            if first > 0 && item(first - 1) && !self.ends_clause(first - 1) {
                first -= 1;
            } else if let Some(open) = (first.saturating_sub(3)..first)
                .find(|&k| gloss_from(k) && gloss_end(k) == Some(first - 1))
            {
                first = open;
            } else {
                break;
            }
        }
        let mut after = i + 1;
        loop {
            if after < n && item(after) && !self.ends_clause(after - 1) {
                after += 1;
            } else if after < n
                && gloss_from(after)
                && let Some(end) = gloss_end(after)
            {
                after = end + 1;
            } else {
                break;
            }
        }
        // "…, and 8815 there should be reachable only from …": where, said
        // by a word.
        if matches!(self.low(after), "there" | "here") {
            after += 1;
        }
        // "15090 on the gateway pods (istio=ingressgateway, ns x) should
        // only be reachable from …": whose port, before the verb.
        if matches!(self.low(after), "on" | "of")
            && let Some(m) = (after + 1..(after + 12).min(n)).find(|&k| {
                matches!(
                    self.low(k),
                    "should" | "must" | "may" | "can" | "shall" | "will"
                )
            })
            && !self.text[self.toks[after].start..self.toks[m].start].contains(';')
            && !self.text[self.toks[after].start..self.toks[m].start].contains(". ")
        {
            after = m;
        }
        // "…: 8545 only from our trusted machines": the port, then whom.
        let opens = first == 0
            || self.ends_clause(first - 1)
            // "For us that means 4000 on the beacon pods (…) should …".
            || matches!(self.low(first - 1), "means" | "meaning" | "i.e." | "so")
            // "lock down app=x so that 8090 only takes connections from …".
            || first >= 2 && self.low(first - 1) == "that" && self.low(first - 2) == "so"
            // "for our cluster (app=es, namespace logging) 9300 should …":
            // after the gloss of whose it is.
            || self.text[..self.toks[first].start].trim_end().ends_with(')');
        if opens
            && self.low(after) == "only"
            && matches!(
                self.low(after + 1),
                "from" | "to" | "takes" | "accepts" | "receives" | "gets" | "allows"
                    // "so that 80 and 443 only take connections from …".
                    | "take" | "accept" | "receive" | "get" | "allow"
            )
        {
            return true;
        }
        opens
            && matches!(
                self.low(after),
                "should" | "must" | "may" | "can" | "is" | "are" | "need" | "needs" | "will"
                    | "shall" | "has" | "have"
            )
            // ("443 is only the service port": which port it is, said.)
            && (after + 1..(after + 6).min(n)).any(|k| {
                matches!(
                    self.low(k).trim_end_matches([',', '.']),
                    "reachable" | "accessible" | "exposed" | "open" | "restricted" | "limited"
                        | "ports" | "accessed" | "reached"
                        // "6335 should only take connections from …".
                        | "take" | "accept" | "receive"
                )
            })
    }
}

/// The ports (each unbound port once per protocol named beside it, in text
/// order) and the protocols named without ports (ICMP, or all SCTP).
pub(super) fn ports_and_protocols(a: &Acc) -> (Vec<PortSpec>, Vec<Protocol>) {
    let port_protos: Vec<Protocol> = a
        .protos
        .iter()
        .copied()
        .filter(|p| *p != Protocol::Icmp)
        .collect();
    let mut ports: Vec<PortSpec> = Vec::new();
    for (p, bound) in &a.ports {
        let protos = if *bound || port_protos.is_empty() {
            vec![p.protocol]
        } else {
            port_protos.clone()
        };
        for protocol in protos {
            let q = PortSpec {
                protocol,
                ..p.clone()
            };
            if !ports.contains(&q) {
                ports.push(q);
            }
        }
    }
    let protocols = if ports.is_empty() && a.named_ports.is_empty() {
        a.protos.clone()
    } else {
        a.protos
            .iter()
            .copied()
            .filter(|p| *p == Protocol::Icmp)
            .collect()
    };
    (ports, protocols)
}
