"""Configuration: every variable validated at once, errors that say what is allowed."""

from __future__ import annotations

import pytest

from sync import config

VALID = {
    "DB_STAGING_HOST": "localhost",
    "DB_STAGING_PORT": "5432",
    "DB_STAGING_USER": "u",
    "DB_STAGING_PASS": "pw-staging",
    "DB_STAGING_NAME": "s",
    "DB_STAGING_TABLE_PREFIX": "dev_az_",
    "DB_PROD_HOST": "localhost",
    "DB_PROD_PORT": "5432",
    "DB_PROD_USER": "u",
    "DB_PROD_PASS": "pw-prod",
    "DB_PROD_NAME": "p",
    "DB_PROD_TABLE_PREFIX": "prod_az_",
    "JUNGLE_SCOUT_API_KEY": "key-123456",
}


def test_valid_environment_with_defaults():
    cfg = config.load(VALID)
    assert cfg.staging.prefix == "dev_az_" and cfg.production.prefix == "prod_az_"
    assert (cfg.rate_per_minute, cfg.burst_per_second, cfg.port) == (300, 15, 8080)
    assert cfg.js_base_url == "https://developer.junglescout.com/api"
    assert str(cfg.landing_dir) == ".local/landing"
    assert cfg.js_authorization == "key-123456"
    assert "key-123456" not in repr(cfg) and "pw-prod" not in repr(cfg)


def test_key_name_builds_authorization():
    cfg = config.load({**VALID, "JUNGLE_SCOUT_API_KEY_NAME": "my-key"})
    assert cfg.js_authorization == "my-key:key-123456"


def test_every_problem_is_listed_at_once():
    # DB_PROD_HOST set: production is wanted, so every other DB_PROD_* is required.
    env = {k: v for k, v in VALID.items() if not k.startswith("DB_PROD") or k == "DB_PROD_HOST"}
    env.update({"JUNGLE_SCOUT_RATE_PER_MINUTE": "fast", "DB_STAGING_PORT": "99999"})
    with pytest.raises(config.ConfigError) as err:
        config.load(env)
    text = str(err.value)
    for name in (
        "DB_PROD_PORT",
        "DB_PROD_USER",
        "DB_PROD_PASS",
        "DB_PROD_NAME",
        "DB_PROD_TABLE_PREFIX",
        "JUNGLE_SCOUT_RATE_PER_MINUTE",
        "DB_STAGING_PORT",
    ):
        assert name in text
    assert "1 to 65535" in text


@pytest.mark.parametrize("prefix", ["x; DROP TABLE product; --", "Dev_", "1abc_", "a" * 32, "dev-az", "dev az"])
def test_prefix_must_be_a_plain_identifier(prefix):
    with pytest.raises(config.ConfigError, match=r"\^\[a-z_\]\[a-z0-9_\]\{0,30\}\$"):
        config.load({**VALID, "DB_STAGING_TABLE_PREFIX": prefix})


def test_http_needs_its_secrets():
    with pytest.raises(config.ConfigError) as err:
        config.load(VALID, needs=["db", "api", "http"])
    assert "JWT_SECRET" in str(err.value) and "SYNC_API_KEY" in str(err.value)


def test_webhook_url_value_is_never_echoed():
    with pytest.raises(config.ConfigError) as err:
        config.load({**VALID, "DISCORD_WEBHOOK_URL": "not-a-url-secret-token"})
    assert "DISCORD_WEBHOOK_URL" in str(err.value)
    assert "secret-token" not in str(err.value)


def test_catalogue_defaults_are_the_seed_layout():
    cat = config.load(VALID).catalogue
    assert (cat.table, cat.asin_column, cat.visibility_column, cat.table_from) == (
        "product",
        "asin",
        "product_visibility",
        None,
    )


def test_catalogue_settings_are_read():
    cat = config.load(
        {
            **VALID,
            "CATALOGUE_TABLE": "asin_1",
            "CATALOGUE_ASIN_COLUMN": "the_asin",
            "CATALOGUE_VISIBILITY_COLUMN": "asin_visibility",
            "CATALOGUE_TABLE_FROM": "frontend_asin",
        }
    ).catalogue
    assert (cat.table, cat.asin_column, cat.visibility_column, cat.table_from) == (
        "asin_1",
        "the_asin",
        "asin_visibility",
        "frontend_asin",
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CATALOGUE_TABLE", "product; DROP TABLE dev_az_product; --"),
        ("CATALOGUE_TABLE", 'product"'),
        ("CATALOGUE_TABLE", "Product"),
        ("CATALOGUE_TABLE", "x" * 57),  # 64 characters with dev_az_: PostgreSQL would truncate it
        ("CATALOGUE_TABLE_FROM", "frontend asin"),
        ("CATALOGUE_ASIN_COLUMN", "asin) OR true --"),
        ("CATALOGUE_VISIBILITY_COLUMN", "1visible"),
        ("CATALOGUE_VISIBILITY_COLUMN", "v" * 64),
    ],
)
def test_a_catalogue_name_with_sql_in_it_is_a_configuration_error(variable, value):
    with pytest.raises(config.ConfigError) as err:
        config.load({**VALID, variable: value})
    text = str(err.value)
    assert f"{variable}=" in text and "lower-case letters, digits and underscores" in text


@pytest.mark.parametrize("host", [None, "", "   "])
def test_empty_or_unset_prod_host_is_staging_only_and_the_rest_optional(host):
    env = {k: v for k, v in VALID.items() if not k.startswith("DB_PROD")}
    if host is not None:
        env["DB_PROD_HOST"] = host
    env["DB_PROD_PORT"] = "not a port"  # ignored: production is not configured
    cfg = config.load(env)
    assert cfg.staging_only and cfg.production is None
    assert cfg.staging.prefix == "dev_az_"
    assert "pw-prod" not in cfg.secrets()


def test_configured_production_is_not_staging_only():
    cfg = config.load(VALID)
    assert not cfg.staging_only and cfg.production is not None


def test_family_sharing_is_off_by_default_and_audits_two_percent():
    cfg = config.load(VALID)
    assert (cfg.sales_family_sharing, cfg.sales_family_audit_percent) == (False, 2.0)
    on = config.load({**VALID, "SALES_FAMILY_SHARING": "ON", "SALES_FAMILY_AUDIT_PERCENT": "100"})
    assert (on.sales_family_sharing, on.sales_family_audit_percent) == (True, 100.0)
    assert config.load({**VALID, "SALES_FAMILY_AUDIT_PERCENT": "0"}).sales_family_audit_percent == 0.0


def test_family_sharing_values_are_checked_and_explained():
    with pytest.raises(config.ConfigError) as err:
        config.load({**VALID, "SALES_FAMILY_SHARING": "yes", "SALES_FAMILY_AUDIT_PERCENT": "101"})
    text = str(err.value)
    assert "SALES_FAMILY_SHARING='yes' is invalid (on: one sales call per group" in text
    assert "SALES_FAMILY_AUDIT_PERCENT='101' is invalid" in text and "a number from 0 to 100" in text
