//! Cluster configuration, resolved as kubectl does.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use kubescribe_events::cluster::ClusterError;

/// Where the cluster is, who asks and how long to wait: kubectl's global
/// flags (`--kubeconfig`, `--context`, `--cluster`, `--server`, `--token`,
/// `--insecure-skip-tls-verify`, `--as`, `--request-timeout`).
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// A kubeconfig file (`--kubeconfig`); `None`: `KUBECONFIG`, then
    /// `~/.kube/config`, then the in-cluster service account.
    pub kubeconfig: Option<PathBuf>,
    /// The context to use (`--context`); `None`: the current context.
    pub context: Option<String>,
    /// The kubeconfig cluster to use (`--cluster`); `None`: the context's.
    pub cluster: Option<String>,
    /// The API server URL (`--server`), in place of the kubeconfig's. With
    /// no kubeconfig at all it is enough on its own (with `token`).
    pub server: Option<String>,
    /// A bearer token (`--token`), in place of the kubeconfig user's credentials.
    pub token: Option<String>,
    /// Do not verify the server's certificate (`--insecure-skip-tls-verify`).
    pub insecure_skip_tls_verify: bool,
    /// The user to impersonate (`--as`).
    pub impersonate: Option<String>,
    /// Bound on connecting and on each request.
    pub timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            cluster: None,
            server: None,
            token: None,
            insecure_skip_tls_verify: false,
            impersonate: None,
            timeout: Duration::from_secs(10),
        }
    }
}

fn config_error(e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Config(e.to_string())
}

/// The kubeconfig kubectl would read: `--kubeconfig`, else `KUBECONFIG`
/// (merged), else `~/.kube/config`; `None` when there is none.
fn read_kubeconfig(opts: &ClusterOptions) -> Result<Option<(Kubeconfig, String)>, ClusterError> {
    if let Some(path) = &opts.kubeconfig {
        let kc = Kubeconfig::read_from(path)
            .map_err(|e| config_error(format!("cannot read kubeconfig {}: {e}", path.display())))?;
        return Ok(Some((kc, format!("kubeconfig {}", path.display()))));
    }
    match Kubeconfig::from_env() {
        Ok(Some(kc)) => return Ok(Some((kc, "the kubeconfig of KUBECONFIG".into()))),
        Ok(None) => {}
        // Files that are not there are left out, as kubectl does.
        Err(_)
            if std::env::var_os("KUBECONFIG")
                .is_some_and(|v| std::env::split_paths(&v).all(|p| !p.exists())) => {}
        Err(e) => return Err(config_error(format!("cannot read KUBECONFIG: {e}"))),
    }
    match Kubeconfig::read() {
        Ok(kc) => Ok(Some((kc, "~/.kube/config".into()))),
        Err(_) => Ok(None),
    }
}

/// "context `x` is not in … (it has: a, b)", when `name` is not among `names`.
fn check_named(
    what: &str,
    name: Option<&str>,
    names: Vec<&str>,
    origin: &str,
) -> Result<(), ClusterError> {
    let Some(name) = name else { return Ok(()) };
    if names.contains(&name) {
        return Ok(());
    }
    Err(config_error(format!(
        "{what} `{name}` is not in {origin} (it has: {})",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )))
}

/// Resolves the client configuration for `opts`.
///
/// Order (kubectl's): `--kubeconfig`, else `KUBECONFIG` (a `:`-separated
/// list, merged), else `~/.kube/config`; with none of those, `--server`
/// alone, else the in-cluster configuration (`KUBERNETES_SERVICE_HOST` and
/// the mounted service-account token). `--context` and `--cluster` must name
/// entries of the kubeconfig; a wrong name is an error listing those it has.
/// `--server`, `--token`, `--insecure-skip-tls-verify` and `--as` then
/// override what the kubeconfig says.
pub async fn load(opts: &ClusterOptions) -> Result<kube::Config, ClusterError> {
    let kc_opts = KubeConfigOptions {
        context: opts.context.clone(),
        cluster: opts.cluster.clone(),
        user: None,
    };
    let mut config = match read_kubeconfig(opts)? {
        Some((kc, origin)) => {
            check_named(
                "context",
                opts.context.as_deref(),
                kc.contexts.iter().map(|c| c.name.as_str()).collect(),
                &origin,
            )?;
            check_named(
                "cluster",
                opts.cluster.as_deref(),
                kc.clusters.iter().map(|c| c.name.as_str()).collect(),
                &origin,
            )?;
            kube::Config::from_custom_kubeconfig(kc, &kc_opts)
                .await
                .map_err(|e| config_error(format!("{origin}: {e}")))?
        }
        None if opts.context.is_some() || opts.cluster.is_some() => {
            return Err(config_error(
                "--context and --cluster name kubeconfig entries, and there is no kubeconfig (set KUBECONFIG, pass --kubeconfig or create ~/.kube/config)",
            ));
        }
        None => match &opts.server {
            Some(server) => kube::Config::new(server.parse().map_err(|e| {
                config_error(format!("--server {server}: not a URL ({e})"))
            })?),
            None => kube::Config::incluster().map_err(|e| {
                config_error(format!(
                    "no cluster configured: set KUBECONFIG, pass --kubeconfig or --server, create ~/.kube/config, or run in a pod ({e})"
                ))
            })?,
        },
    };
    if let Some(server) = &opts.server {
        config.cluster_url = server
            .parse()
            .map_err(|e| config_error(format!("--server {server}: not a URL ({e})")))?;
    }
    if opts.token.is_some() || opts.impersonate.is_some() {
        // AuthInfo's token is a secret type: built through serde rather
        // than by naming the secrecy crate.
        let mut given = serde_json::Map::new();
        if let Some(t) = &opts.token {
            given.insert("token".into(), t.clone().into());
        }
        if let Some(a) = &opts.impersonate {
            given.insert("as".into(), a.clone().into());
        }
        let overrides: kube::config::AuthInfo = serde_json::from_value(given.into())
            .map_err(|e| config_error(format!("credentials: {e}")))?;
        if overrides.token.is_some() {
            config.auth_info = kube::config::AuthInfo {
                token: overrides.token,
                impersonate: config.auth_info.impersonate.clone(),
                ..Default::default()
            };
        }
        if overrides.impersonate.is_some() {
            config.auth_info.impersonate = overrides.impersonate;
        }
    }
    if opts.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    config.connect_timeout = Some(opts.timeout);
    config.read_timeout = Some(opts.timeout);
    config.write_timeout = Some(opts.timeout);
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_kubeconfig_file_is_a_config_error() {
        let opts = ClusterOptions {
            kubeconfig: Some("/nonexistent/kubeconfig".into()),
            ..Default::default()
        };
        let e = load(&opts).await.unwrap_err();
        assert!(matches!(e, ClusterError::Config(_)), "{e:?}");
        assert!(e.to_string().contains("/nonexistent/kubeconfig"), "{e}");
    }

    #[tokio::test]
    async fn unknown_context_is_a_config_error() {
        let dir = std::env::temp_dir().join(format!("kubescribe-kc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\ncurrent-context: a\n",
        )
        .unwrap();
        let ok = load(&ClusterOptions {
            kubeconfig: Some(path.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(ok.cluster_url.to_string(), "https://127.0.0.1:1/");
        let e = load(&ClusterOptions {
            kubeconfig: Some(path.clone()),
            context: Some("nope".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        // Names the context and lists those the kubeconfig has (was:
        // "failed to load current context: nope").
        assert!(
            e.to_string()
                .contains("context `nope` is not in kubeconfig"),
            "{e}"
        );
        assert!(e.to_string().contains("(it has: a)"), "{e}");
        let e = load(&ClusterOptions {
            kubeconfig: Some(path.clone()),
            cluster: Some("other".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(e.to_string().contains("cluster `other`"), "{e}");
        assert!(e.to_string().contains("(it has: c)"), "{e}");
        // kubectl's overrides: --server, --token, --insecure-skip-tls-verify, --as.
        let o = load(&ClusterOptions {
            kubeconfig: Some(path),
            server: Some("https://10.0.0.1:6443".into()),
            token: Some("secret".into()),
            insecure_skip_tls_verify: true,
            impersonate: Some("alice".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(o.cluster_url.to_string(), "https://10.0.0.1:6443/");
        assert!(o.accept_invalid_certs);
        assert_eq!(o.auth_info.impersonate.as_deref(), Some("alice"));
        assert!(o.auth_info.token.is_some());
        std::fs::remove_dir_all(dir).ok();
    }
}
