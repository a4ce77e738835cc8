//! Protocols named where a port is meant: "allow DNS and port 80
//! egress", "HTTP" (80), "HTTPS" (443) — their IANA ports, said as an
//! assumption — but not when the name only qualifies a numbered port ("the
//! HTTP replication port 9093"), names a program ("Apache HTTP Server"),
//! pods ("the dns pods"), a port whose number a setting holds ("the HTTP
//! port set by CADENCE_WEB_PORT") or rides on another protocol ("DNS over
//! TLS").

use super::*;

impl<'a> Parser<'a> {
    /// Reads token `i` as a protocol name standing for its port; whether it
    /// did (its ports are added to `a`).
    pub(super) fn protocol_port(&mut self, a: &mut Acc, i: usize, mode: &Mode) -> bool {
        let n = self.toks.len();
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        let prev = self.prev_low(i).to_string();
        let next = self.low(i + 1).to_string();
        // "http (10902)": the port in parentheses is the one meant, not the
        // protocol's own.
        let glossed_port = self.toks.get(i + 1).is_some_and(|g| {
            g.paren
                && parse_port(g.lower.trim_matches(['(', ')', ',', '.', ';'])).is_some_and(
                    |(p, _)| service_port(l).is_some_and(|ps| ps.iter().all(|s| s.port != p)),
                )
        });
        // "DNS over TLS (TCP 853)", "DNS over HTTPS": another service, with
        // a port of its own, neither DNS's nor HTTPS's.
        let carrier = |w: &str| {
            matches!(
                w.trim_matches(|c: char| !c.is_ascii_alphanumeric()),
                "tls" | "https" | "quic" | "http" | "ssl" | "dtls"
            )
        };
        let carried = next == "over" && carrier(self.low(i + 2))
            || prev == "over" && carrier(l) && i >= 2 && service_port(self.low(i - 2)).is_some();
        // "only on the http port", after "its Service on the container port
        // named http": the port of that name, not HTTP's own.
        if service_port(l).is_some()
            && matches!(next.as_str(), "port" | "ports")
            && self.port_named(l)
        {
            self.ent(EntityKind::Port, t.start, t.end);
            push_uniq(&mut a.named_ports, l.to_string());
            return true;
        }
        if let Some(ps) = service_port(l).filter(|_| {
            matches!(*mode, Mode::Port | Mode::None)
                && !EXEC_MODE_VERBS.contains(&prev.as_str())
                && !glossed_port
                && !carried
                // "the HTTP replication port 9093", "the HTTP server on 8042":
                // the port's kind, its number given.
                // ("DNS queries on UDP port 53": its protocol between.)
                // (Not "DNS and port 80": a list's next item.)
                && !(i + 1..(i + 5).min(n))
                    .take_while(|&k| {
                        !matches!(self.low(k), "and" | "or" | "plus") && !self.toks[k - 1].comma
                    })
                    .any(|k| {
                        matches!(self.low(k), "port" | "ports" | "on")
                            && parse_port(self.low(k + 1).trim_end_matches([',', '.', ';', ')']))
                                .is_some()
                    })
                // "jellyfin's HTTP port", "its HTTPS port": a port of that
                // kind, whose number is not given.
                && !(matches!(next.as_str(), "port" | "ports")
                    && (prev.ends_with("'s")
                        || matches!(prev.as_str(), "its" | "their")
                        // "the HTTP port set by CADENCE_WEB_PORT".
                        || self.port_set_elsewhere(i + 1)))
                // "Apache HTTP Server 2.4.49", "the HTTP proxy": a program
                // of the protocol, no port of its own said.
                && !matches!(
                    next.as_str(),
                    "server" | "servers" | "client" | "clients" | "library" | "proxy" | "proxies"
                )
                // "a separate port for gRPC and for HTTP": the kind of a
                // port, its number not given.
                && !(prev == "for"
                    && (i.saturating_sub(7)..i).any(|k| {
                        matches!(self.low(k), "port" | "ports")
                            && k > 0
                            && matches!(
                                self.low(k - 1),
                                "separate" | "own" | "dedicated" | "different" | "distinct"
                            )
                    }))
                // "into the dns pods (…)": pods named for what they serve.
                && !matches!(
                    next.as_str(),
                    "pod" | "pods" | "deployment" | "deployments" | "workload" | "workloads"
                        | "container" | "containers"
                )
                // "on the port dns serves its metrics on": the server;
                // "more IPs than DNS hands back": what answers.
                && !(prev == "port" && i >= 2 && self.low(i - 2) == "the")
                && !(prev == "than"
                    || matches!(
                        next.as_str(),
                        "hands" | "returns" | "resolves" | "answers" | "gives" | "says"
                    ))
                // "on port 8123/TCP (HTTP), 9000/TCP (native)": what the
                // numbered port before it serves.
                && !(t.paren
                    && i > 0
                    && parse_port(
                        self.low(i - 1)
                            .trim_end_matches([',', '.', ';'])
                            .split('/')
                            .next()
                            .unwrap_or(""),
                    )
                    .is_some())
                // "returns HTTP 403 Forbidden": a status code, no port.
                && !(l == "http"
                    && parse_port(&next).is_some_and(|(p, e)| e.is_none() && (100..600).contains(&p))
                    && next.len() == 3)
                // "the file used for HTTP Basic authentication": a scheme of
                // the protocol, no traffic.
                && !matches!(
                    next.as_str(),
                    "basic" | "auth" | "authentication" | "header" | "headers" | "cookie"
                        | "cookies" | "status" | "method" | "methods"
                        // "Cloud DNS records management": names, no traffic.
                        | "records" | "record" | "zone" | "zones" | "entries"
                )
        }) {
            self.ent(EntityKind::Port, t.start, t.end);
            let said: Vec<String> = ps
                .iter()
                .map(|p| format!("{}/{}", p.port, p.protocol.as_str()))
                .collect();
            push_uniq(
                &mut self.assume,
                format!(
                    "{} read as its IANA port {}",
                    l.to_uppercase(),
                    said.join(" and ")
                ),
            );
            // "DNS over TCP": that protocol's port only.
            let over = (next == "over")
                .then(|| proto(self.low(i + 2).trim_end_matches([',', '.', ';'])))
                .flatten();
            let ps = ps
                .into_iter()
                .filter(|p| over.is_none_or(|o| o == p.protocol));
            a.ports.extend(ps.map(|p| (p, true)));
            return true;
        }
        false
    }

    /// Whether the text names a port `name`: "the container port named
    /// http", "a port called http", "named port http".
    fn port_named(&self, name: &str) -> bool {
        (0..self.toks.len()).any(|k| {
            let is = |j: usize| {
                self.low(j)
                    .trim_matches(|c: char| !c.is_ascii_alphanumeric())
                    == name
            };
            matches!(self.low(k), "named" | "called")
                && is(k + 1)
                && k >= 1
                && matches!(self.low(k - 1), "port" | "ports")
                || self.low(k) == "named" && matches!(self.low(k + 1), "port") && is(k + 2)
        })
    }
}
