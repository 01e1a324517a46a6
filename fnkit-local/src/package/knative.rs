//! The Knative files for a binary: a `Service` running it in HTTP mode, a `Trigger` per
//! event-driven function (filtered on fnkit's CloudEvent types), a `PingSource` per schedule,
//! and a Dockerfile for the image.

use fnkit::manifest::{FunctionSpec, StorageEvents, Trigger};
use fnkit_spec::schedule::knative_cron;
use serde_json::{json, Value};

/// A Kubernetes name (DNS-1123 label) from a binary or function name.
pub(crate) fn k8s_name(name: &str) -> String {
    let mut out: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    out = out.trim_matches('-').to_owned();
    out.truncate(63);
    if out.is_empty() {
        "fnkit".to_owned()
    } else {
        out
    }
}

/// The CloudEvent type and extra filter attributes a function's Trigger selects on.
pub(crate) fn event_filter(spec: &FunctionSpec) -> Option<Value> {
    Some(match &spec.trigger {
        Trigger::Http { .. } | Trigger::Schedule(_) => return None,
        Trigger::Event => json!({"type": "dev.fnkit.invoke", "function": spec.name}),
        Trigger::Queue { name, .. } => json!({"type": "dev.fnkit.queue.message", "queue": name}),
        Trigger::Storage { bucket, events, .. } => match events {
            StorageEvents::Deleted => {
                json!({"type": "dev.fnkit.storage.object.deleted", "bucket": bucket})
            }
            // A Trigger filters on one type; `all` subscribes to creations (add a second Trigger
            // for deletions by hand).
            StorageEvents::Created | StorageEvents::All => {
                json!({"type": "dev.fnkit.storage.object.created", "bucket": bucket})
            }
        },
    })
}

/// `service.yaml`, `triggers.yaml` (as lists of documents) and the Dockerfile.
pub(crate) fn files(
    service: &str,
    binary_name: &str,
    functions: &[FunctionSpec],
) -> Result<(Value, Vec<Value>, String), String> {
    let timeout = functions.iter().map(|f| f.timeout_secs).max().unwrap_or(3);
    // Every function runs in the one container: their variables must agree.
    let mut env = vec![json!({"name": "FNKIT_MODE", "value": "http"})];
    let mut set: Vec<(&str, &str, &str)> = Vec::new();
    for spec in functions {
        for v in spec.env.iter() {
            match set.iter().find(|(name, _, _)| *name == v.name) {
                Some((_, value, _)) if *value == v.value => {}
                Some((_, _, other)) => {
                    return Err(format!(
                        "`{}` differs between functions `{other}` and `{}`, which Knative runs in one container",
                        v.name, spec.name
                    ))
                }
                None => {
                    set.push((&v.name, &v.value, &spec.name));
                    env.push(json!({"name": v.name, "value": v.value}));
                }
            }
        }
    }
    let memory = functions.iter().map(|f| f.memory_mb).max().unwrap_or(128);
    let service_doc = json!({
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": service},
        "spec": {"template": {"spec": {
            "timeoutSeconds": timeout,
            "containers": [{
                "image": format!("REGISTRY/{service}:latest"),
                "ports": [{"containerPort": 8080}],
                "env": env,
                "resources": {"limits": {"memory": format!("{memory}Mi")}},
            }],
        }}},
    });
    let subscriber = |function: &str| json!({"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": service}, "uri": format!("/{function}")});
    let mut docs = Vec::new();
    for spec in functions {
        let name = k8s_name(&format!("{service}-{}", spec.name));
        if let Trigger::Schedule(expr) = &spec.trigger {
            let schedule =
                knative_cron(expr).map_err(|e| format!("function `{}`: {e}", spec.name))?;
            docs.push(json!({
                "apiVersion": "sources.knative.dev/v1",
                "kind": "PingSource",
                "metadata": {"name": name},
                "spec": {"schedule": schedule, "contentType": "application/json", "data": "{}", "sink": subscriber(&spec.name)},
            }));
        } else if let Some(filter) = event_filter(spec) {
            docs.push(json!({
                "apiVersion": "eventing.knative.dev/v1",
                "kind": "Trigger",
                "metadata": {"name": name},
                "spec": {"broker": "default", "filter": {"attributes": filter}, "subscriber": subscriber(&spec.name)},
            }));
        }
    }
    let dockerfile = format!(
        "# Written by `fnkit-local package --target knative`. Build it from this folder:\n\
         #   docker build -t REGISTRY/{service}:latest . && docker push REGISTRY/{service}:latest\n\
         # The binary links against glibc 2.17 or newer, so any current glibc image runs it.\n\
         FROM debian:bookworm-slim\n\
         COPY {binary_name} /app/function\n\
         ENV FNKIT_MODE=http PORT=8080\n\
         EXPOSE 8080\n\
         USER 65532:65532\n\
         ENTRYPOINT [\"/app/function\"]\n"
    );
    Ok((service_doc, docs, dockerfile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(k8s_name("My_Functions"), "my-functions");
    }
}
