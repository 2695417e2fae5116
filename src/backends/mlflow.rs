//! The MLflow tracking server's REST API (`/api/2.0/mlflow/…`), as the
//! official clients speak it: the server and credentials from
//! `MLFLOW_TRACKING_URI`, `MLFLOW_TRACKING_TOKEN` (bearer) or
//! `MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD` (basic),
//! `MLFLOW_TRACKING_SERVER_CERT_PATH` and `MLFLOW_TRACKING_INSECURE_TLS`.
//! Secrets never reach a message, a log or Debug output.
//!
//! Errors come as `{"error_code", "message"}`; a missing alias is a 400
//! INVALID_PARAMETER_VALUE ("Registered model alias x not found."), not a
//! 404, so "not found" is told from the code and the words together.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::mlflow_wire::{
    DownloadUri, ErrorBody, ModelVersionsPage, OneLoggedModel, OneModelVersion, OneRegisteredModel, OneRun,
    RegisteredModelsPage,
};
pub use super::mlflow_wire::{LoggedModel, ModelVersion, Page, RegisteredModel, Run};

/// A credential: shown as `***` wherever it is printed.
#[derive(Clone, PartialEq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(Secret),
    Basic {
        user: String,
        password: Secret,
    },
}

/// Where the server is and how to reach it.
#[derive(Debug, Clone, PartialEq)]
pub struct MlflowConfig {
    /// `http://host:port` (any path prefix kept), no trailing slash.
    pub uri: String,
    pub auth: Auth,
    /// A CA bundle to trust for https.
    pub cert: Option<PathBuf>,
    pub insecure_tls: bool,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MlflowError {
    #[error("MLFLOW_TRACKING_URI={0:?}: expected an http:// or https:// address of a tracking server")]
    Uri(String),
    #[error("MLFLOW_TRACKING_SERVER_CERT_PATH={}: {reason}", path.display())]
    Cert { path: PathBuf, reason: String },
    #[error("MLflow at {uri}: {cause}")]
    Unreachable { uri: String, cause: String },
    #[error("MLflow at {uri}: {what}: not found ({message})")]
    NotFound { uri: String, what: String, message: String },
    #[error("MLflow at {uri}: {what}: {code} (HTTP {status}): {message}")]
    Api {
        uri: String,
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("MLflow at {uri}: {what}: expected {expected}, found {found}")]
    Decode {
        uri: String,
        what: String,
        expected: String,
        found: String,
    },
}

impl MlflowConfig {
    /// The server the environment names, as the official clients read it;
    /// `None` when `MLFLOW_TRACKING_URI` is not set.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<MlflowConfig>, MlflowError> {
        let Some(uri) = env("MLFLOW_TRACKING_URI").filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let auth = match (
            env("MLFLOW_TRACKING_TOKEN").filter(|t| !t.is_empty()),
            env("MLFLOW_TRACKING_USERNAME").filter(|u| !u.is_empty()),
        ) {
            (Some(token), _) => Auth::Bearer(Secret::new(token)),
            (None, Some(user)) => Auth::Basic {
                user,
                password: Secret::new(env("MLFLOW_TRACKING_PASSWORD").unwrap_or_default()),
            },
            (None, None) => Auth::None,
        };
        let truthy =
            |v: Option<String>| v.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
        MlflowConfig::new(&uri, auth).map(|mut c| {
            c.cert = env("MLFLOW_TRACKING_SERVER_CERT_PATH")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from);
            c.insecure_tls = truthy(env("MLFLOW_TRACKING_INSECURE_TLS"));
            Some(c)
        })
    }

    pub fn new(uri: &str, auth: Auth) -> Result<MlflowConfig, MlflowError> {
        let trimmed = uri.trim().trim_end_matches('/');
        if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) || trimmed.contains(char::is_whitespace)
        {
            return Err(MlflowError::Uri(crate::text::clean(uri)));
        }
        Ok(MlflowConfig {
            uri: trimmed.to_owned(),
            auth,
            cert: None,
            insecure_tls: false,
            timeout: Duration::from_secs(10),
        })
    }
}

/// A client of one tracking server.
#[derive(Clone)]
pub struct Mlflow {
    http: reqwest::Client,
    config: MlflowConfig,
}

impl Mlflow {
    pub fn new(config: MlflowConfig) -> Result<Mlflow, MlflowError> {
        let mut builder = super::prometheus::client_builder(config.timeout);
        if let Some(path) = &config.cert {
            let fail = |reason: String| MlflowError::Cert {
                path: path.clone(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(e.to_string()))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if config.insecure_tls {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| MlflowError::Unreachable {
            uri: config.uri.clone(),
            cause: e.to_string(),
        })?;
        Ok(Mlflow { http, config })
    }

    pub fn uri(&self) -> &str {
        &self.config.uri
    }

    /// One call: `what` names it in messages ("model version m/3").
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
        what: &str,
    ) -> Result<T, MlflowError> {
        let uri = self.config.uri.clone();
        let mut request = self
            .http
            .request(method, format!("{uri}/api/2.0/mlflow/{path}"))
            .query(query);
        request = match &self.config.auth {
            Auth::None => request,
            Auth::Bearer(Secret(token)) => request.bearer_auth(token),
            Auth::Basic {
                user,
                password: Secret(password),
            } => request.basic_auth(user, Some(password)),
        };
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |e: reqwest::Error| MlflowError::Unreachable {
            uri: uri.clone(),
            cause: super::net_error::cause(&e).unwrap_or_else(|| "the request failed".to_owned()),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        if !status.is_success() {
            let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
            let message = crate::text::clean(&body.message);
            let not_found = status == reqwest::StatusCode::NOT_FOUND
                || body.error_code == "RESOURCE_DOES_NOT_EXIST"
                || (body.error_code == "INVALID_PARAMETER_VALUE" && message.contains("not found"));
            return Err(if not_found {
                MlflowError::NotFound {
                    uri,
                    what: what.to_owned(),
                    message,
                }
            } else {
                MlflowError::Api {
                    uri,
                    what: what.to_owned(),
                    status: status.as_u16(),
                    code: crate::text::clean(&body.error_code),
                    message: if message.is_empty() {
                        crate::text::clean(&text.chars().take(200).collect::<String>())
                    } else {
                        message
                    },
                }
            });
        }
        serde_json::from_str(&text).map_err(|e| MlflowError::Decode {
            uri,
            what: what.to_owned(),
            expected: "MLflow's JSON".into(),
            found: crate::text::clean(&e.to_string()),
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, MlflowError> {
        self.call(Method::GET, path, query, None, what).await
    }

    pub async fn search_registered_models(
        &self,
        filter: Option<&str>,
        max_results: u32,
        page_token: &str,
    ) -> Result<Page<RegisteredModel>, MlflowError> {
        let mut query = vec![
            ("max_results", max_results.to_string()),
            ("order_by", "name ASC".to_owned()),
        ];
        if let Some(filter) = filter {
            query.push(("filter", filter.to_owned()));
        }
        if !page_token.is_empty() {
            query.push(("page_token", page_token.to_owned()));
        }
        let page: RegisteredModelsPage = self
            .get("registered-models/search", &query, "registered models")
            .await?;
        Ok(Page {
            items: page.registered_models,
            next_page_token: page.next_page_token,
        })
    }

    /// Every registered model that passes `filter`, page after page.
    pub async fn all_registered_models(&self, filter: Option<&str>) -> Result<Vec<RegisteredModel>, MlflowError> {
        every_page(async |token: String| self.search_registered_models(filter, 100, &token).await).await
    }

    pub async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel, MlflowError> {
        let one: OneRegisteredModel = self
            .get(
                "registered-models/get",
                &[("name", name.to_owned())],
                &format!("registered model {name}"),
            )
            .await?;
        Ok(one.registered_model)
    }

    pub async fn search_model_versions(
        &self,
        filter: &str,
        max_results: u32,
        page_token: &str,
    ) -> Result<Page<ModelVersion>, MlflowError> {
        let mut query = vec![("filter", filter.to_owned()), ("max_results", max_results.to_string())];
        if !page_token.is_empty() {
            query.push(("page_token", page_token.to_owned()));
        }
        let page: ModelVersionsPage = self.get("model-versions/search", &query, "model versions").await?;
        Ok(Page {
            items: page.model_versions,
            next_page_token: page.next_page_token,
        })
    }

    /// Every version of the model `name`, page after page.
    pub async fn all_model_versions(&self, name: &str) -> Result<Vec<ModelVersion>, MlflowError> {
        let filter = format!("name='{}'", name.replace('\'', "\\'"));
        every_page(async |token: String| self.search_model_versions(&filter, 200, &token).await).await
    }

    pub async fn get_model_version(&self, name: &str, version: &str) -> Result<ModelVersion, MlflowError> {
        let query = [("name", name.to_owned()), ("version", version.to_owned())];
        let one: OneModelVersion = self
            .get("model-versions/get", &query, &format!("model version {name}/{version}"))
            .await?;
        Ok(one.model_version)
    }

    pub async fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion, MlflowError> {
        let query = [("name", name.to_owned()), ("alias", alias.to_owned())];
        let one: OneModelVersion = self
            .get("registered-models/alias", &query, &format!("alias {name}@{alias}"))
            .await?;
        Ok(one.model_version)
    }

    pub async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<(), MlflowError> {
        let body = json!({"name": name, "alias": alias, "version": version});
        let _: Value = self
            .call(
                Method::POST,
                "registered-models/alias",
                &[],
                Some(body),
                &format!("setting {name}@{alias}"),
            )
            .await?;
        Ok(())
    }

    /// DELETE with a JSON body, as the server wants it.
    pub async fn delete_alias(&self, name: &str, alias: &str) -> Result<(), MlflowError> {
        let body = json!({"name": name, "alias": alias});
        let _: Value = self
            .call(
                Method::DELETE,
                "registered-models/alias",
                &[],
                Some(body),
                &format!("deleting {name}@{alias}"),
            )
            .await?;
        Ok(())
    }

    /// Deprecated since MLflow 2.9, but what the deployment guide uses;
    /// the server requires `archive_existing_versions`.
    pub async fn transition_stage(
        &self,
        name: &str,
        version: &str,
        stage: &str,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion, MlflowError> {
        let body = json!({
            "name": name,
            "version": version,
            "stage": stage,
            "archive_existing_versions": archive_existing_versions,
        });
        let what = format!("moving {name}/{version} to {stage}");
        let one: OneModelVersion = self
            .call(Method::POST, "model-versions/transition-stage", &[], Some(body), &what)
            .await?;
        Ok(one.model_version)
    }

    pub async fn set_version_tag(&self, name: &str, version: &str, key: &str, value: &str) -> Result<(), MlflowError> {
        let body = json!({"name": name, "version": version, "key": key, "value": value});
        let what = format!("tagging {name}/{version}");
        let _: Value = self
            .call(Method::POST, "model-versions/set-tag", &[], Some(body), &what)
            .await?;
        Ok(())
    }

    pub async fn get_run(&self, run_id: &str) -> Result<Run, MlflowError> {
        let one: OneRun = self
            .get("runs/get", &[("run_id", run_id.to_owned())], &format!("run {run_id}"))
            .await?;
        Ok(one.run)
    }

    pub async fn download_uri(&self, name: &str, version: &str) -> Result<String, MlflowError> {
        let query = [("name", name.to_owned()), ("version", version.to_owned())];
        let uri: DownloadUri = self
            .get(
                "model-versions/get-download-uri",
                &query,
                &format!("download URI of {name}/{version}"),
            )
            .await?;
        Ok(uri.artifact_uri)
    }

    /// MLflow 3's LoggedModel; `None` on a 2.x server, which has no such
    /// endpoint (it answers 404).
    pub async fn logged_model(&self, model_id: &str) -> Result<Option<LoggedModel>, MlflowError> {
        match self
            .get::<OneLoggedModel>(
                &format!("logged-models/{model_id}"),
                &[],
                &format!("logged model {model_id}"),
            )
            .await
        {
            Ok(one) => Ok(Some(one.model)),
            Err(MlflowError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Every item of a search, following `next_page_token` to the last page.
async fn every_page<T>(
    mut page: impl AsyncFnMut(String) -> Result<Page<T>, MlflowError>,
) -> Result<Vec<T>, MlflowError> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let next = page(token).await?;
        all.extend(next.items);
        if next.next_page_token.is_empty() {
            return Ok(all);
        }
        token = next.next_page_token;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_environment_names_the_server_and_credentials_and_debug_hides_them() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(MlflowConfig::from_env(&env(&[])).unwrap(), None);
        let token = MlflowConfig::from_env(&env(&[
            ("MLFLOW_TRACKING_URI", "http://mlflow:5000/"),
            ("MLFLOW_TRACKING_TOKEN", "s3cret-token"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(token.uri, "http://mlflow:5000");
        assert!(matches!(token.auth, Auth::Bearer(_)));
        let basic = MlflowConfig::from_env(&env(&[
            ("MLFLOW_TRACKING_URI", "https://mlflow.internal"),
            ("MLFLOW_TRACKING_USERNAME", "ops"),
            ("MLFLOW_TRACKING_PASSWORD", "hunter2"),
            ("MLFLOW_TRACKING_INSECURE_TLS", "true"),
        ]))
        .unwrap()
        .unwrap();
        assert!(basic.insecure_tls);
        let printed = format!("{token:?} {basic:?}");
        assert!(!printed.contains("s3cret") && !printed.contains("hunter2"), "{printed}");
        let bad = MlflowConfig::from_env(&env(&[("MLFLOW_TRACKING_URI", "databricks")])).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "MLFLOW_TRACKING_URI=\"databricks\": expected an http:// or https:// address of a tracking server"
        );
    }
}
