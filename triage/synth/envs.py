"""``env/<environment>/`` folders: Kubernetes manifests, the runner's .env, flags.

Staging and canary differ where a release team would look: the web-bff CORS
allowlist lacks the canary origin (the config fault, which ``triage diff-env``
must rank first), auth-service expects its own audience, secret names, one
resource limit, a cache-purge switch and a feature flag; and where it matters
little: replica counts, a ``shop.example/track`` label, and web-bff's canary
manifest exported with two fields the API server fills in by itself
(``revisionHistoryLimit: 10``, ``terminationMessagePolicy: File``).
"""
from __future__ import annotations

import json
from typing import Any

import yaml

REGISTRY = "registry.shop.example/shop"
FLAGS = {
    "staging": {"avatar-uploads-v2": True, "cart-badge-animation": False, "new-checkout-flow": True,
                "promo-engine-v2": False, "search-vendor-v2": False},
    "canary": {"avatar-uploads-v2": True, "cart-badge-animation": True, "new-checkout-flow": True,
               "promo-engine-v2": False, "search-vendor-v2": False},
}


def _env(env: str) -> dict[str, dict[str, str]]:
    domain = f"{env}.shop.example"
    canary = env == "canary"
    return {
        "web-bff": {"NODE_ENV": "production", "PUBLIC_ORIGIN": f"https://{domain}",
                    "CORS_ALLOWED_ORIGINS": "https://shop.example,https://www.shop.example" if canary
                    else f"https://{domain}",
                    "AVATAR_BUCKET_URL": "https://avatars.storage.example/shop-avatars"},
        "auth-service": {"JWT_ISSUER": "https://login.idp-vendor.example/",
                         "JWT_AUDIENCE": f"shop-{env}",
                         "JWKS_URL": "https://login.idp-vendor.example/.well-known/jwks.json"},
        "checkout-api": {"SPRING_PROFILES_ACTIVE": env, "DB_POOL_MAX_SIZE": "10",
                         "DB_CONNECTION_TIMEOUT_MS": "30000",
                         "PAYMENTS_BASE_URL": "https://payments.vendor.example"},
        "cart-api": {"REDIS_ADDR": "cart-redis.shop.svc:6379", "CART_TTL": "72h"},
        "search-api": {"SEARCH_BACKEND_URL": "https://search-backend.vendor.example:443",
                       "SEARCH_TIMEOUT": "3s", "SEARCH_INDEX": "products-v7"},
        "catalog-api": {"SPRING_PROFILES_ACTIVE": env, "PRICE_CACHE_TTL": "1800s",
                        "PRICE_CACHE_PURGE_QUEUE": "disabled" if canary else "enabled"},
    }


def _deployment(name: str, env: str, image_tag: str, variables: dict[str, str]) -> dict[str, Any]:
    canary = env == "canary"
    container: dict[str, Any] = {
        "name": name,
        "image": f"{REGISTRY}/{name}:{image_tag}",
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [{"name": k, "value": v} for k, v in variables.items()],
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                      "limits": {"cpu": "1" if not (canary and name == "catalog-api") else "500m",
                                 "memory": "1Gi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
    }
    if name == "checkout-api":
        container["env"].append({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
            "name": f"checkout-db-{env}", "key": "password"}}})
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop",
              "app.kubernetes.io/version": image_tag}
    spec: dict[str, Any] = {"replicas": 1 if canary else 2,
                            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}
    if canary and name == "web-bff":  # exported from the cluster: server-filled defaults
        spec["revisionHistoryLimit"] = 10
        container["terminationMessagePolicy"] = "File"
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "spec": spec,
    }


def _ingress(env: str) -> dict[str, Any]:
    domain = f"{env}.shop.example"
    kong = {"service": {"name": "shop-kong-kong-proxy", "port": {"number": 80}}}
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "shop",
                     "labels": {"shop.example/track": "canary" if env == "canary" else "stable"},
                     "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}},
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": [domain, f"api.{domain}"], "secretName": f"{env}-shop-tls"}],
                 "rules": [
                     {"host": domain, "http": {"paths": [
                         {"path": "/api", "pathType": "Prefix", "backend": kong},
                         {"path": "/", "pathType": "Prefix", "backend": {"service": {
                             "name": "shop-storefront", "port": {"number": 80}}}}]}},
                     {"host": f"api.{domain}", "http": {"paths": [
                         {"path": "/", "pathType": "Prefix", "backend": kong}]}}]},
    }


def manifests(env: str, image_tag: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The files of ``env/<env>/``: relative name -> text."""
    docs: list[dict[str, Any]] = [_ingress(env)]
    for name, variables in _env(env).items():
        tag = (overrides or {}).get(name, image_tag)
        docs.append(_deployment(name, env, tag, variables))
    domain = f"{env}.shop.example"
    dotenv = "\n".join([
        "# Playwright runner settings for this environment",
        f"BASE_URL=https://{domain}",
        f"API_URL=https://api.{domain}",
        "PLAYWRIGHT_RETRIES=1" if env == "canary" else "PLAYWRIGHT_RETRIES=0",
        "TEST_CLIENT_ID=e2e-runner",
        "OAUTH_TOKEN_URL=https://login.idp-vendor.example/oauth2/token",
        "OAUTH_AUDIENCE=shop-staging",
        f"TEST_USER_PASSWORD_REF=vault:secret/e2e/{env}#password",
        "SEND_TEST_TAGS=true",
    ]) + "\n"
    return {
        "deployments.yaml": yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, width=120),
        "runner.env": dotenv,
        "flags.json": json.dumps(FLAGS[env], indent=2, sort_keys=True) + "\n",
    }
