//! The MLflow REST client against a real tracking server (mlflow 3.17.2),
//! filled by the official Python client as the deployment guide does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod mlflow_common;

use mlflow_common::MlflowServer;
use modeldeck::backends::mlflow::{Auth, Mlflow, MlflowConfig, MlflowError};

fn client(uri: &str) -> Mlflow {
    Mlflow::new(MlflowConfig::new(uri, Auth::None).unwrap()).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_client_reads_and_moves_what_the_guide_registers() {
    let Some(server) = MlflowServer::start() else { return };
    let mlflow = client(&server.uri);
    let rt = runtime();
    rt.block_on(async {
        // Pages of two, followed to the end, in name order.
        let first = mlflow.search_registered_models(None, 2, "").await.unwrap();
        assert_eq!(first.items.len(), 2);
        assert!(!first.next_page_token.is_empty());
        let all = mlflow.all_registered_models(None).await.unwrap();
        let names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["malaria_lstm", "other_0", "other_1", "other_2"]);
        let filtered = mlflow.all_registered_models(Some("name LIKE 'other_%'")).await.unwrap();
        assert_eq!(filtered.len(), 3);

        let model = mlflow.get_registered_model("malaria_lstm").await.unwrap();
        let mut aliases: Vec<(String, String)> = model
            .aliases
            .iter()
            .map(|a| (a.alias.clone(), a.version.clone()))
            .collect();
        aliases.sort();
        let v = |s: &str| server.made[s]["version"].as_str().unwrap().to_owned();
        assert_eq!(
            aliases,
            [
                ("candidate".to_owned(), v("2.1.1")),
                ("champion".to_owned(), v("2.0.5"))
            ]
        );

        let versions = mlflow.all_model_versions("malaria_lstm").await.unwrap();
        assert_eq!(versions.len(), 3);
        let stable = versions.iter().find(|m| m.version == v("2.0.5")).unwrap();
        assert_eq!(stable.tag("semver"), Some("2.0.5"));
        assert_eq!(stable.current_stage, "Production");
        // Search leaves aliases out (the registered model lists them);
        // a version read alone carries its own.
        assert!(stable.aliases.is_empty(), "an omitted field decodes empty");
        let one = mlflow.get_model_version("malaria_lstm", &v("2.0.5")).await.unwrap();
        assert_eq!(one.aliases, ["champion"]);

        let champion = mlflow
            .get_model_version_by_alias("malaria_lstm", "champion")
            .await
            .unwrap();
        assert_eq!(champion.version, v("2.0.5"));
        assert_eq!(champion.source, server.made["2.0.5"]["source"].as_str().unwrap());

        // The run's metrics and params, a NaN among them.
        let run = mlflow.get_run(&champion.run_id).await.unwrap();
        assert_eq!(run.metric("accuracy"), Some(0.896));
        assert_eq!(run.metric("f1_score"), Some(0.883));
        assert!(run.metric("loss").unwrap().is_nan());
        assert!(run.data.params.iter().any(|p| p.key == "hidden" && p.value == "16"));
        assert!(
            run.info.artifact_uri.starts_with("mlflow-artifacts:/"),
            "{}",
            run.info.artifact_uri
        );
        let uri = mlflow.download_uri("malaria_lstm", &v("2.0.5")).await.unwrap();
        assert!(uri.contains(&champion.run_id), "{uri}");

        // Moving aliases and stages, as promote will.
        mlflow.set_alias("malaria_lstm", "champion", &v("2.1.0")).await.unwrap();
        let moved = mlflow
            .get_model_version_by_alias("malaria_lstm", "champion")
            .await
            .unwrap();
        assert_eq!(moved.version, v("2.1.0"));
        mlflow.delete_alias("malaria_lstm", "candidate").await.unwrap();
        let gone = mlflow
            .get_model_version_by_alias("malaria_lstm", "candidate")
            .await
            .unwrap_err();
        assert!(matches!(gone, MlflowError::NotFound { .. }), "{gone:?}");
        let promoted = mlflow
            .transition_stage("malaria_lstm", &v("2.1.0"), "Production", true)
            .await
            .unwrap();
        assert_eq!(promoted.current_stage, "Production");
        let archived = mlflow.get_model_version("malaria_lstm", &v("2.0.5")).await.unwrap();
        assert_eq!(
            archived.current_stage, "Archived",
            "archive_existing_versions archived the old one"
        );
        mlflow
            .set_version_tag("malaria_lstm", &v("2.1.0"), "validated", "yes")
            .await
            .unwrap();
        let tagged = mlflow.get_model_version("malaria_lstm", &v("2.1.0")).await.unwrap();
        assert_eq!(tagged.tag("validated"), Some("yes"));
        // MLflow 3 answers for LoggedModels; one that does not exist is None.
        assert_eq!(mlflow.logged_model("m-0000000000000000").await.unwrap(), None);
    });
}

#[test]
fn each_failure_says_what_was_asked_and_why() {
    let Some(server) = MlflowServer::start() else { return };
    let mlflow = client(&server.uri);
    let rt = runtime();
    rt.block_on(async {
        // A missing alias is a 400 on the wire; it reads as "not found".
        let alias = mlflow
            .get_model_version_by_alias("malaria_lstm", "nope")
            .await
            .unwrap_err();
        assert_eq!(
            alias.to_string(),
            format!(
                "MLflow at {}: alias malaria_lstm@nope: not found (Registered model alias nope not found.)",
                server.uri
            )
        );
        let version = mlflow.get_model_version("nothing", "1").await.unwrap_err();
        assert!(matches!(version, MlflowError::NotFound { .. }), "{version:?}");
        assert!(
            version.to_string().contains("model version nothing/1: not found"),
            "{version}"
        );
        // A bad stage is the server's refusal, with its code.
        let stage = mlflow
            .transition_stage("malaria_lstm", "1", "Live", false)
            .await
            .unwrap_err();
        match &stage {
            MlflowError::Api { status, code, .. } => {
                assert_eq!((*status, code.as_str()), (400, "INVALID_PARAMETER_VALUE"), "{stage}");
            }
            other => panic!("{other:?}"),
        }
    });
    // Nobody listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = client(&format!("http://127.0.0.1:{port}"));
    let refused = rt.block_on(closed.all_registered_models(None)).unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!("MLflow at http://127.0.0.1:{port}: connection refused")
    );
}

#[test]
fn the_registry_reads_as_one_shape_with_the_version_rule_said() {
    use modeldeck::domain::Stage;
    use modeldeck::domain::model::VersionFrom;
    let Some(server) = MlflowServer::start() else { return };
    let mlflow = client(&server.uri);
    let rt = runtime();
    // A version registered without a semver tag.
    let run_id = server.made["2.1.0"]["run_id"].as_str().unwrap();
    let body = serde_json::json!({
        "name": "malaria_lstm",
        "source": server.made["2.1.0"]["source"],
        "run_id": run_id,
    });
    let http = modeldeck::backends::prometheus::client_builder(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let url = format!("{}/api/2.0/mlflow/model-versions/create", server.uri);
    let created = rt.block_on(async { http.post(url).json(&body).send().await }).unwrap();
    assert!(created.status().is_success());
    let load = rt
        .block_on(modeldeck::backends::mlflow_registry::load(&mlflow))
        .unwrap();
    let names: Vec<&str> = load.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["malaria_lstm", "other_0", "other_1", "other_2"]);
    let model = &load.models[0];
    let order: Vec<String> = model.versions.iter().map(|v| v.version.to_string()).collect();
    assert_eq!(
        order,
        ["4.0.0", "2.1.1", "2.1.0", "2.0.5"],
        "semantic order, not registration order"
    );
    assert_eq!(model.versions[0].version_from, VersionFrom::RegistryNumber);
    assert!(
        load.problems
            .iter()
            .any(|p| p == "malaria_lstm version 4: no semver tag; sorted as 4.0.0"),
        "{:?}",
        load.problems
    );
    let stable = &model.versions[3];
    assert_eq!(stable.version_from, VersionFrom::SemverTag);
    assert_eq!(stable.stage, Stage::Production);
    assert_eq!(stable.aliases, ["champion"]);
    assert_eq!(model.versions[1].aliases, ["candidate"]);
    assert_eq!(stable.metrics.accuracy, Some(0.896));
    assert_eq!(stable.metrics.f1_score, Some(0.883));
    assert_eq!(stable.metrics.inference_time_ms, Some(0.015));
    assert!(stable.metrics.other["loss"].is_nan());
    assert!(stable.source.starts_with("runs:/"), "{}", stable.source);
    assert!(stable.created.is_some());
    assert_eq!(model.description, "LSTM over 8 time steps x 4 features");
}
