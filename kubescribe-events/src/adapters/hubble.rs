//! Hubble (Cilium) flows to network events.

use super::*;
use crate::HttpRequest;

struct Endpoint {
    namespace: Option<String>,
    pod: Option<String>,
    labels: BTreeMap<String, String>,
}

fn hubble_endpoint(v: Option<&Value>) -> Result<Endpoint, Skip> {
    let Some(v) = v else {
        return Ok(Endpoint {
            namespace: None,
            pod: None,
            labels: BTreeMap::new(),
        });
    };
    if !v.is_object() {
        return Err(invalid(format!(
            "flow endpoint must be an object, found {}",
            type_name(v)
        )));
    }
    let mut labels = BTreeMap::new();
    match v.get("labels") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let s = item
                    .as_str()
                    .ok_or_else(|| invalid("flow endpoint label must be a string"))?;
                // `k8s:app=web`, `reserved:world`.
                let (source, rest) = s.split_once(':').unwrap_or(("", s));
                if source == "reserved" {
                    labels.insert(format!("reserved:{rest}"), String::new());
                    continue;
                }
                // Cilium's identity labels are kept as they are: the
                // namespace's labels (`io.cilium.k8s.namespace.labels.*`) and
                // the policy labels (`io.cilium.k8s.policy.serviceaccount`,
                // `.cluster`), which Cilium selectors match on.
                let (k, val) = rest.split_once('=').unwrap_or((rest, ""));
                labels.insert(k.to_string(), val.to_string());
            }
        }
        Some(other) => {
            return Err(invalid(format!(
                "flow endpoint `labels` must be an array, found {}",
                type_name(other)
            )));
        }
    }
    labels.remove("io.kubernetes.pod.namespace");
    Ok(Endpoint {
        namespace: string_of(v, "namespace")?,
        pod: string_of(v, "pod_name")?,
        labels,
    })
}

pub(super) fn hubble(v: &Value) -> Result<Vec<Event>, Skip> {
    let Some(flow) = obj(v, "flow")? else {
        let what = v
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "node_name" && *k != "time"))
            .cloned()
            .unwrap_or_default();
        return Err(Skip {
            reason: SkipReason::UnknownEventType,
            message: format!("Hubble record without a flow ({what})"),
        });
    };
    let ts = match str_of(flow, "time")?.and_then(parse_rfc3339) {
        Some(t) => Some(t),
        None => str_of(v, "time")?.and_then(parse_rfc3339),
    };
    let node = match string_of(flow, "node_name")? {
        Some(n) => Some(n),
        None => string_of(v, "node_name")?,
    };
    let ip = obj(flow, "IP")?;
    let (mut src_ip, mut dst_ip) = match ip {
        Some(ip) => (string_of(ip, "source")?, string_of(ip, "destination")?),
        None => (None, None),
    };
    let mut src = hubble_endpoint(flow.get("source"))?;
    let mut dst = hubble_endpoint(flow.get("destination"))?;
    let (mut protocol, mut sport, mut dport) = ("unknown".to_string(), None, None);
    let l4 = obj(flow, "l4")?;
    let is_reply = matches!(flow.get("is_reply"), Some(Value::Bool(true)))
        || matches!(flow.get("reply"), Some(Value::Bool(true)));
    if let Some((name, body)) = l4.and_then(Value::as_object).and_then(|m| m.iter().next()) {
        protocol = name.clone();
        if body.is_object() {
            sport = port_of(body, "source_port")?;
            dport = port_of(body, "destination_port")?;
            if name.eq_ignore_ascii_case("ICMPv4") || name.eq_ignore_ascii_case("ICMPv6") {
                // ICMP has no ports: the destination's port carries the ICMP
                // type (as flow exporters do), which Cilium's `icmps` rules
                // match. A reply describes its request (echo reply: echo).
                let v6 = name.eq_ignore_ascii_case("ICMPv6");
                dport = port_of(body, "type")?.map(|t| match (is_reply, v6, t) {
                    (true, false, 0) => 8,
                    (true, true, 129) => 128,
                    _ => t,
                });
                sport = None;
                if is_reply {
                    // Swapped back below: the type stays on the destination.
                    std::mem::swap(&mut sport, &mut dport);
                }
            }
        }
    }
    if is_reply {
        // Describe the connection, not the reply packet.
        std::mem::swap(&mut src, &mut dst);
        std::mem::swap(&mut src_ip, &mut dst_ip);
        std::mem::swap(&mut sport, &mut dport);
    }
    let direction = match str_of(flow, "traffic_direction")? {
        Some("INGRESS") => Direction::Ingress,
        Some("EGRESS") => Direction::Egress,
        _ if src.pod.is_some() => Direction::Egress,
        _ if dst.pod.is_some() => Direction::Ingress,
        _ => Direction::Unknown,
    };
    let (local, local_ip, local_port, remote, remote_ip, remote_port) =
        if direction == Direction::Ingress {
            (dst, dst_ip, dport, src, src_ip, sport)
        } else {
            (src, src_ip, sport, dst, dst_ip, dport)
        };
    let pod = PodMeta {
        namespace: local.namespace,
        pod: local.pod,
        container: None,
        labels: local.labels,
        node,
    };
    let peer = (remote.namespace.is_some() || remote.pod.is_some() || !remote.labels.is_empty())
        .then_some(Peer {
            namespace: remote.namespace,
            pod: remote.pod,
            labels: remote.labels,
        });
    let mut dns_name = flow
        .get("l7")
        .and_then(|l| l.get("dns"))
        .and_then(|d| d.get("query"))
        .and_then(Value::as_str)
        .map(|q| q.trim_end_matches('.').to_string());
    if dns_name.is_none() {
        let names = if direction == Direction::Ingress {
            "source_names"
        } else {
            "destination_names"
        };
        dns_name = flow
            .get(names)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    let http = match flow.get("l7").and_then(|l| l.get("http")) {
        None | Some(Value::Null) => None,
        Some(h) if h.is_object() => Some(hubble_http(h)?),
        Some(other) => {
            return Err(invalid(format!(
                "flow `l7.http` must be an object, found {}",
                type_name(other)
            )));
        }
    };
    Ok(vec![event(
        SourceEngine::Hubble,
        ts,
        &pod,
        string_of(flow, "verdict")?,
        EventKind::Network(NetworkEvent {
            protocol,
            direction,
            local_ip,
            local_port,
            remote_ip,
            remote_port,
            peer,
            dns_name,
            process: None,
            http,
        }),
    )])
}

/// Hubble's `l7.http` (a request, or a response that repeats its request's
/// method and URL) as the request Cilium's HTTP rules match: the method,
/// the URL's path with its query (Envoy's `:path`) and its host (the
/// `:authority`; a `host` header when the URL has none).
fn hubble_http(h: &Value) -> Result<HttpRequest, Skip> {
    let method = string_of(h, "method")?.filter(|m| !m.is_empty());
    let (mut host, path) = match str_of(h, "url")? {
        Some(url) => split_url(url),
        None => (None, None),
    };
    if host.is_none()
        && let Some(Value::Array(headers)) = h.get("headers")
    {
        host = headers.iter().find_map(|kv| {
            let key = kv.get("key").and_then(Value::as_str)?;
            (key.eq_ignore_ascii_case("host") || key == ":authority")
                .then(|| kv.get("value").and_then(Value::as_str))
                .flatten()
                .map(str::to_string)
        });
    }
    Ok(HttpRequest { method, path, host })
}

/// `http://host:80/p?q` → (`host:80`, `/p?q`); a URL without a scheme is
/// a path. The fragment is not part of a request.
fn split_url(url: &str) -> (Option<String>, Option<String>) {
    let url = url.split('#').next().unwrap_or("");
    let Some((_, rest)) = url.split_once("://") else {
        return (None, (!url.is_empty()).then(|| url.to_string()));
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    // Userinfo is not part of the host.
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    (
        (!authority.is_empty()).then(|| authority.to_string()),
        Some(path),
    )
}
