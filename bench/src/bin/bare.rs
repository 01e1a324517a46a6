//! The same handlers behind a bare hyper server, in-process: `bare PORT [THREADS]`. `GET /noop`
//! and `POST /echo` call `fnkit_bench::noop` and `fnkit_bench::echo` directly: no fnkit runtime,
//! no event, the ceiling that fnkit's HTTP mode and the emulator are compared with.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

async fn handle(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    if parts.uri.path() == "/echo" {
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let request = fnkit::http::Request::from_parts(parts, fnkit::Body::from(body));
        let response = match fnkit_bench::echo(request).await {
            Ok(fnkit::Json(value)) => hyper::Response::builder()
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(
                    serde_json::to_vec(&value).unwrap_or_default(),
                ))),
            Err(e) => hyper::Response::builder()
                .status(e.status().unwrap_or(fnkit::http::StatusCode::BAD_REQUEST))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(e.to_json()))),
        };
        return Ok(response.unwrap_or_default());
    }
    let request = fnkit::http::Request::from_parts(parts, fnkit::Body::empty());
    let text = fnkit_bench::noop(request).await;
    // The same head as fnkit's answer for a `&'static str`.
    let response = hyper::Response::builder()
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(text.as_bytes())));
    Ok(response.unwrap_or_default())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(9100);
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(1);
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .expect("a tokio runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(handle))
                    .await;
            });
        }
    });
}
