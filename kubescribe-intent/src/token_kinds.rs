//! Classifiers of single tokens: identifiers, label keys and values,
//! namespace names, CIDRs, DNS names (with the top-level domains in use),
//! ports and protocols.

use super::*;

pub(super) fn is_ident(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

pub(super) fn label_key_ok(k: &str) -> bool {
    // "--set metrics.serviceMonitor.enabled=true", "networkPolicy.enabled:
    // false": a dotted path of chart values in camelCase, not a label key
    // (a label key's dotted prefix is a lower-case DNS name before a `/`).
    let values_path = !k.contains('/')
        && k.contains('.')
        && k.as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    is_ident(k, &['-', '_', '.', '/'])
        && k.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !values_path
        && !POD_SPEC_FIELDS.contains(&k)
}

/// A pod's and container's security fields, pasted as YAML
/// ("readOnlyRootFilesystem: true"): settings, never label keys.
const POD_SPEC_FIELDS: &[&str] = &[
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "privileged",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "fsGroup",
    "automountServiceAccountToken",
    "procMount",
    "shareProcessNamespace",
];
pub(super) fn label_val_ok(v: &str) -> bool {
    // Kubernetes: alphanumerics at both ends ("types: - Ingress" is a YAML
    // list item, not the value "-").
    is_ident(v, &['-', '_', '.'])
        && v.len() <= 63
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A `key=value` the text says is a label ("namespaces labelled
/// systemCreated=true"): a camelCase key with a boolean is one there.
pub(super) fn split_said_label(s: &str) -> Option<(String, String)> {
    split_label(s).or_else(|| {
        let (k, v) = s.split_once('=')?;
        (label_key_ok(k) && label_val_ok(v) && matches!(v, "true" | "false"))
            .then(|| (k.to_string(), v.to_string()))
    })
}

pub(super) fn split_label(s: &str) -> Option<(String, String)> {
    let (k, v) = s.split_once('=')?;
    let v = v.trim_start_matches('=');
    // `shell=False`, `canRunCommands=true`: a flag of code, not a label.
    let camel = k
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    let flag = matches!(v, "True" | "False") || camel && matches!(v, "true" | "false");
    // `ENABLE_SENDMAIL=false`: an environment variable, not a label.
    let env = k.contains('_') && !k.chars().any(|c| c.is_ascii_lowercase());
    // "weblogic.clusterName=cluster-1": an operator's label in camelCase,
    // one dot and a name for its value (a chart value's path has more, or a
    // flag or number for its value).
    let camel_label = k.matches('.').count() == 1
        && !k.contains('/')
        && is_ident(k, &['-', '_', '.'])
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && v.chars().any(|c| c.is_ascii_alphabetic())
        && !matches!(v, "true" | "false");
    // "PCI DSS 1.3.4: Do not …": a version or section number, no key.
    let number = k.chars().all(|c| c.is_ascii_digit() || c == '.');
    // "management.server.port=8081": a dotted setting of a port or an
    // address, no label.
    let setting = k.contains('.')
        && !k.contains('/')
        && k.rsplit('.').next().is_some_and(|last| {
            matches!(
                last,
                "port" | "host" | "address" | "url" | "enabled" | "path" | "timeout"
            )
        });
    if (label_key_ok(k) || camel_label)
        && !setting
        && label_val_ok(v)
        && !k.contains("//")
        && !flag
        && !env
        && !number
    {
        Some((k.to_string(), v.to_string()))
    } else {
        None
    }
}

pub(super) fn is_ns_name(s: &str) -> bool {
    is_ident(s, &['-'])
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s == s.to_lowercase()
}

pub(super) fn parse_cidr(s: &str) -> Option<(String, bool)> {
    let (ip, bits) = match s.split_once('/') {
        Some((ip, b)) => (ip, Some(b)),
        None => (s, None),
    };
    if ip.parse::<std::net::Ipv4Addr>().is_err()
        && !(ip.contains(':') && ip.parse::<std::net::Ipv6Addr>().is_ok())
    {
        return None;
    }
    let v6 = ip.contains(':');
    // "every instance is on 0.46.6.1": a release; no host has an address
    // in 0.0.0.0/8 but 0.0.0.0 itself.
    if bits.is_none() && !v6 && ip.starts_with("0.") && ip != "0.0.0.0" {
        return None;
    }
    match bits {
        Some(b) => {
            let n: u8 = b.parse().ok()?;
            if n > if v6 { 128 } else { 32 } {
                return None;
            }
            Some((format!("{ip}/{n}"), false))
        }
        None => Some((format!("{ip}/{}", if v6 { 128 } else { 32 }), true)),
    }
}

pub(super) fn is_fqdn(s: &str) -> bool {
    // "*.com": a wildcard over a whole top-level domain is still a DNS name
    // (validation calls it over-permissive); dropping it would widen the rule.
    if let Some(tld) = s.strip_prefix("*.")
        && !tld.contains('.')
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
    {
        return true;
    }
    let s = s.strip_prefix("*.").unwrap_or(s);
    if s.starts_with('/') || !s.contains('.') || s.contains('=') {
        return false;
    }
    let parts: Vec<&str> = s.split('.').collect();
    let tld = parts.last().copied().unwrap_or("");
    // "networkPolicy.allowExternal", "capabilities.drop": a camelCase or
    // dotted key path of configuration, not a DNS name.
    let camel = |p: &&str| {
        p.as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
    };
    // A country code, or a generic top-level domain in use ("command.exec",
    // "os.environ" are code).
    let tld_lower = tld.to_ascii_lowercase();
    // "The Handle.Net software", "ASP.NET": a product's name, capitalised
    // after its dot.
    let product = parts[1..]
        .iter()
        .any(|p| p.starts_with(|c: char| c.is_ascii_uppercase()));
    !product
        && !parts.iter().any(camel)
        && parts.iter().all(|p| is_ident(p, &['-']))
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && (tld.len() == 2 || GENERIC_TLDS.contains(&tld_lower.as_str()))
        && !matches!(
            tld,
            "conf"
                | "log"
                | "txt"
                | "sh"
                | "py"
                | "json"
                | "yaml"
                | "yml"
                | "key"
                | "pem"
                | "crt"
                | "db"
                | "so"
                | "html"
                | "js"
                // Source files ("container-runner.ts", "main.go").
                | "ts"
                | "go"
                | "rs"
                | "rb"
                | "md"
                | "cc"
                | "pl"
                | "ko"
                | "cs"
                | "kt"
                | "gz"
                | "xz"
        )
}

/// Generic top-level domains a policy's DNS names end in: the original and
/// common new ones, and the suffixes of names inside clusters and private
/// networks (`svc.cluster.local`, `corp.internal`).
const GENERIC_TLDS: &[&str] = &[
    "com",
    "org",
    "net",
    "edu",
    "gov",
    "mil",
    "int",
    "arpa",
    "info",
    "biz",
    "pro",
    "aero",
    "coop",
    "museum",
    "mobi",
    "asia",
    "tel",
    "travel",
    "jobs",
    "cat",
    "xxx",
    "post",
    "io",
    "ai",
    "dev",
    "app",
    "cloud",
    "tech",
    "online",
    "site",
    "store",
    "shop",
    "xyz",
    "one",
    "run",
    "page",
    "blog",
    "live",
    "news",
    "space",
    "website",
    "services",
    "systems",
    "solutions",
    "network",
    "digital",
    "email",
    "global",
    "group",
    "zone",
    "works",
    "tools",
    "host",
    "software",
    "codes",
    "team",
    "company",
    "center",
    "world",
    "link",
    "click",
    "today",
    "city",
    "media",
    "agency",
    "studio",
    "design",
    "science",
    "academy",
    "foundation",
    "social",
    "chat",
    "bank",
    "finance",
    "health",
    "care",
    "energy",
    "engineering",
    "computer",
    "technology",
    "security",
    "google",
    "microsoft",
    "amazon",
    "aws",
    "azure",
    "goog",
    "local",
    "internal",
    "svc",
    "cluster",
    "lan",
    "corp",
    "home",
    "intranet",
    "private",
    "test",
    "example",
    "invalid",
    "localhost",
    "localdomain",
];

pub(super) fn parse_port(s: &str) -> Option<(u16, Option<u16>)> {
    let one = |x: &str| x.parse::<u16>().ok().filter(|p| *p > 0);
    if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (one(a)?, one(b)?);
        return (a < b).then_some((a, Some(b)));
    }
    one(s).map(|p| (p, None))
}

/// "tcp", "TCP/UDP", "udp/tcp": the protocols a token names (none for
/// "tcp/80", a port).
pub(super) fn protos(s: &str) -> Vec<Protocol> {
    s.split('/')
        .map(proto)
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
}

pub(super) fn proto(s: &str) -> Option<Protocol> {
    match s {
        "tcp" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        "sctp" => Some(Protocol::Sctp),
        "icmp" => Some(Protocol::Icmp),
        _ => None,
    }
}
