//! Cluster configuration, resolved as kubectl does.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use kubescribe_events::cluster::ClusterError;

/// Where the cluster is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// A kubeconfig file (`--kubeconfig`); `None`: `KUBECONFIG`, then
    /// `~/.kube/config`, then the in-cluster service account.
    pub kubeconfig: Option<PathBuf>,
    /// The context to use (`--context`); `None`: the current context.
    pub context: Option<String>,
    /// Bound on connecting and on each request.
    pub timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            timeout: Duration::from_secs(10),
        }
    }
}

fn config_error(e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Config(e.to_string())
}

/// Resolves the client configuration for `opts`.
///
/// Order (kubectl's): `--kubeconfig`, else `KUBECONFIG` (a `:`-separated
/// list, merged), else `~/.kube/config`; with none of those and no
/// `--context`, the in-cluster configuration (`KUBERNETES_SERVICE_HOST` and
/// the mounted service-account token).
pub async fn load(opts: &ClusterOptions) -> Result<kube::Config, ClusterError> {
    let kc_opts = KubeConfigOptions {
        context: opts.context.clone(),
        ..Default::default()
    };
    let mut config = if let Some(path) = &opts.kubeconfig {
        let kc = Kubeconfig::read_from(path)
            .map_err(|e| config_error(format!("cannot read kubeconfig {}: {e}", path.display())))?;
        kube::Config::from_custom_kubeconfig(kc, &kc_opts)
            .await
            .map_err(|e| config_error(format!("kubeconfig {}: {e}", path.display())))?
    } else if opts.context.is_some() {
        kube::Config::from_kubeconfig(&kc_opts).await.map_err(|e| {
            config_error(format!(
                "{e} (kubeconfig from KUBECONFIG or ~/.kube/config)"
            ))
        })?
    } else {
        kube::Config::infer().await.map_err(|e| {
            config_error(format!(
                "no cluster configured: set KUBECONFIG, pass --kubeconfig, create ~/.kube/config, or run in a pod ({e})"
            ))
        })?
    };
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
            kubeconfig: Some(path),
            context: Some("nope".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }
}
