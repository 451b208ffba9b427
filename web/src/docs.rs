//! The API reference page: rendered in the browser from `/api/v1/openapi.json` by a few lines
//! of script shipped in the binary. Nothing is fetched from the internet.

use axum::response::Html;

pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Земство — описание API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h2{border-bottom:1px solid #ccc;padding-bottom:.2rem}
.op{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #2b6cb0;background:#f5f8fc}
.m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}
code,pre{font-family:ui-monospace,monospace;font-size:.9rem}
pre{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:.5rem}
</style></head>
<body><h1>Земство — описание API</h1>
<p>Документ OpenAPI: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Ошибки — документы RFC 9457 (<code>application/problem+json</code>).</p>
<div id="api">Загрузка…</div>
<script>
fetch('/api/v1/openapi.json').then(r => r.json()).then(doc => {
  const root = document.getElementById('api');
  root.textContent = '';
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ['other'])[0];
      (byTag[tag] = byTag[tag] || []).push([method, path, op]);
    }
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    const h = document.createElement('h2'); h.textContent = tag; root.appendChild(h);
    for (const [method, path, op] of ops) {
      const div = document.createElement('div'); div.className = 'op';
      const title = document.createElement('div');
      const m = document.createElement('span'); m.className = 'm'; m.textContent = method;
      const p = document.createElement('code'); p.textContent = path;
      title.append(m, p); div.appendChild(title);
      if (op.description || op.summary) {
        const d = document.createElement('p'); d.textContent = op.summary || op.description; div.appendChild(d);
      }
      const details = document.createElement('pre');
      details.textContent = JSON.stringify({parameters: op.parameters, requestBody: op.requestBody, responses: op.responses}, null, 2);
      div.appendChild(details);
      root.appendChild(div);
    }
  }
}).catch(e => { document.getElementById('api').textContent = 'Не удалось загрузить описание: ' + e; });
</script></body></html>"#;
