-- The schema of both targets after every migration in sql/migrations/, with the fixed prefixes
-- dev_az_ (staging) and prod_az_ (production). A readable record for reviewers, not a script:
-- `jssync migrate` builds the schema. Written by loaders/schema.py; tests/sql/test_schema.py
-- checks it against freshly migrated databases (UPDATE_SNAPSHOTS=1 rewrites it).

-- ===== staging (prefix dev_az_) =====

CREATE TABLE dev_az_jssync_api_usage (
    day date NOT NULL,
    endpoint text NOT NULL,
    marketplace character varying(10) NOT NULL,
    requests bigint NOT NULL DEFAULT 0,
    retries bigint NOT NULL DEFAULT 0,
    rate_limited bigint NOT NULL DEFAULT 0,
    errors bigint NOT NULL DEFAULT 0,
    updated_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    CONSTRAINT dev_az_jssync_api_usage_pkey PRIMARY KEY (day, endpoint, marketplace)
);
CREATE UNIQUE INDEX dev_az_jssync_api_usage_pkey ON dev_az_jssync_api_usage USING btree (day, endpoint, marketplace);

CREATE TABLE dev_az_jssync_archive_pending (
    load_id text NOT NULL,
    table_name text NOT NULL,
    run_id uuid NOT NULL,
    row_count bigint NOT NULL,
    parquet bytea NOT NULL,
    created_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    CONSTRAINT dev_az_jssync_archive_pending_pkey PRIMARY KEY (load_id, table_name)
);
CREATE UNIQUE INDEX dev_az_jssync_archive_pending_pkey ON dev_az_jssync_archive_pending USING btree (load_id, table_name);

CREATE TABLE dev_az_jssync_asin_family (
    asin character varying(20) NOT NULL,
    report_date date NOT NULL,
    parent_asin character varying(20),
    product_rank integer,
    is_parent boolean,
    is_variant boolean,
    is_standalone boolean,
    updated_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    CONSTRAINT dev_az_jssync_asin_family_pkey PRIMARY KEY (asin)
);
CREATE INDEX dev_az_idx_jssync_asin_family_group ON dev_az_jssync_asin_family USING btree (parent_asin, product_rank, asin) WHERE ((parent_asin IS NOT NULL) AND (product_rank IS NOT NULL));
CREATE UNIQUE INDEX dev_az_jssync_asin_family_pkey ON dev_az_jssync_asin_family USING btree (asin);

CREATE TABLE dev_az_jssync_catalogue_state (
    id boolean NOT NULL DEFAULT true,
    catalogue_table text NOT NULL,
    asin_column text NOT NULL,
    visibility_column text NOT NULL,
    previous_table text,
    previous_asin_column text,
    previous_visibility_column text,
    changed_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    CONSTRAINT dev_az_jssync_catalogue_state_id_check CHECK (id),
    CONSTRAINT dev_az_jssync_catalogue_state_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX dev_az_jssync_catalogue_state_pkey ON dev_az_jssync_catalogue_state USING btree (id);

CREATE TABLE dev_az_jssync_family_audits (
    id bigint NOT NULL DEFAULT nextval('dev_az_jssync_family_audits_id_seq'::regclass),
    run_id uuid,
    audited_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    marketplace character varying(10) NOT NULL,
    asin character varying(20) NOT NULL,
    source_asin character varying(20) NOT NULL,
    parent_asin character varying(20) NOT NULL,
    product_rank integer NOT NULL,
    first_date date,
    last_date date,
    days_compared integer NOT NULL,
    days_differing integer NOT NULL,
    first_differing_date date,
    CONSTRAINT dev_az_jssync_family_audits_pkey PRIMARY KEY (id)
);
CREATE INDEX dev_az_idx_jssync_family_audits_group ON dev_az_jssync_family_audits USING btree (marketplace, parent_asin, product_rank);
CREATE UNIQUE INDEX dev_az_jssync_family_audits_pkey ON dev_az_jssync_family_audits USING btree (id);

CREATE TABLE dev_az_jssync_family_demotions (
    marketplace character varying(10) NOT NULL,
    parent_asin character varying(20) NOT NULL,
    product_rank integer NOT NULL,
    demoted_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    run_id uuid,
    audited_asin character varying(20) NOT NULL,
    source_asin character varying(20) NOT NULL,
    days_differing integer NOT NULL,
    first_differing_date date,
    CONSTRAINT dev_az_jssync_family_demotions_pkey PRIMARY KEY (marketplace, parent_asin, product_rank)
);
CREATE UNIQUE INDEX dev_az_jssync_family_demotions_pkey ON dev_az_jssync_family_demotions USING btree (marketplace, parent_asin, product_rank);

CREATE TABLE dev_az_jssync_listed_asins (
    asin character varying(20) NOT NULL,
    listed_at timestamp without time zone NOT NULL,
    wants_product boolean NOT NULL,
    wants_sales boolean NOT NULL,
    run_id uuid,
    CONSTRAINT dev_az_jssync_listed_asins_pkey PRIMARY KEY (asin)
);
CREATE UNIQUE INDEX dev_az_jssync_listed_asins_pkey ON dev_az_jssync_listed_asins USING btree (asin);

CREATE TABLE dev_az_jssync_master_queue (
    asin character varying(20) NOT NULL,
    position integer NOT NULL,
    run_id uuid NOT NULL,
    done_at timestamp without time zone,
    date_range text,
    CONSTRAINT dev_az_jssync_master_queue_pkey PRIMARY KEY (asin)
);
CREATE UNIQUE INDEX dev_az_jssync_master_queue_pkey ON dev_az_jssync_master_queue USING btree (asin);

CREATE TABLE dev_az_jssync_production_missed (
    id boolean NOT NULL DEFAULT true,
    missed_since timestamp without time zone,
    missed_until timestamp without time zone,
    leveled_at timestamp without time zone,
    CONSTRAINT dev_az_jssync_production_missed_id_check CHECK (id),
    CONSTRAINT dev_az_jssync_production_missed_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX dev_az_jssync_production_missed_pkey ON dev_az_jssync_production_missed USING btree (id);

CREATE TABLE dev_az_jssync_production_outbox (
    id bigint NOT NULL DEFAULT nextval('dev_az_jssync_production_outbox_id_seq'::regclass),
    run_id uuid NOT NULL,
    load_id text NOT NULL,
    product_keys jsonb NOT NULL,
    sales_keys jsonb NOT NULL,
    created_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    applied_at timestamp without time zone,
    CONSTRAINT dev_az_jssync_production_outbox_pkey PRIMARY KEY (id)
);
CREATE INDEX dev_az_jssync_production_outbox_pending ON dev_az_jssync_production_outbox USING btree (id) WHERE (applied_at IS NULL);
CREATE UNIQUE INDEX dev_az_jssync_production_outbox_pkey ON dev_az_jssync_production_outbox USING btree (id);

CREATE TABLE dev_az_jssync_runs (
    run_id uuid NOT NULL,
    kind text NOT NULL,
    marketplace character varying(10) NOT NULL,
    started_at timestamp without time zone NOT NULL,
    finished_at timestamp without time zone,
    outcome text,
    status jsonb NOT NULL,
    seq bigint NOT NULL DEFAULT nextval('dev_az_jssync_runs_seq_seq'::regclass),
    CONSTRAINT dev_az_jssync_runs_kind CHECK ((kind = ANY (ARRAY['hourly'::text, 'master'::text, 'product'::text, 'sales'::text, 'manual'::text, 'catch-up'::text, 'verify'::text]))),
    CONSTRAINT dev_az_jssync_runs_pkey PRIMARY KEY (run_id)
);
CREATE INDEX dev_az_jssync_runs_by_seq ON dev_az_jssync_runs USING btree (seq);
CREATE INDEX dev_az_jssync_runs_kind_started ON dev_az_jssync_runs USING btree (kind, started_at DESC);
CREATE UNIQUE INDEX dev_az_jssync_runs_pkey ON dev_az_jssync_runs USING btree (run_id);

CREATE TABLE dev_az_jssync_sales_provenance (
    asin character varying(20) NOT NULL,
    marketplace character varying(10) NOT NULL,
    first_date date NOT NULL,
    last_date date NOT NULL,
    source_asin character varying(20) NOT NULL,
    run_id uuid,
    recorded_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    CONSTRAINT dev_az_jssync_sales_provenance_other CHECK (((source_asin)::text <> (asin)::text)),
    CONSTRAINT dev_az_jssync_sales_provenance_pkey PRIMARY KEY (asin, marketplace, first_date),
    CONSTRAINT dev_az_jssync_sales_provenance_range CHECK ((first_date <= last_date))
);
CREATE UNIQUE INDEX dev_az_jssync_sales_provenance_pkey ON dev_az_jssync_sales_provenance USING btree (asin, marketplace, first_date);

CREATE TABLE dev_az_jssync_schema_migrations (
    filename text NOT NULL,
    checksum character(64) NOT NULL,
    applied_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    CONSTRAINT dev_az_jssync_schema_migrations_pkey PRIMARY KEY (filename)
);
CREATE UNIQUE INDEX dev_az_jssync_schema_migrations_pkey ON dev_az_jssync_schema_migrations USING btree (filename);

CREATE TABLE dev_az_jungle_scout_product_data (
    asin character varying(20) NOT NULL,
    report_date date NOT NULL,
    id character varying(50),
    title text,
    price numeric(10,2),
    reviews integer,
    category text,
    rating numeric(3,2),
    image_url text,
    parent_asin character varying(20),
    is_variant boolean,
    seller_type character varying(50),
    variants jsonb,
    breadcrumb_path text,
    is_standalone boolean,
    is_parent boolean,
    is_available boolean,
    brand character varying(255),
    product_rank integer,
    weight_value numeric(10,2),
    weight_unit character varying(20),
    length_value numeric(10,2),
    width_value numeric(10,2),
    height_value numeric(10,2),
    dimensions_unit character varying(20),
    listing_quality_score integer,
    number_of_sellers integer,
    buy_box_owner character varying(255),
    buy_box_owner_seller_id character varying(50),
    date_first_available date,
    date_first_available_is_estimated boolean,
    approximate_30_day_revenue numeric(15,2),
    approximate_30_day_units_sold integer,
    subcategory_ranks jsonb,
    fee_breakdown jsonb,
    ean_list jsonb,
    isbn_list jsonb,
    upc_list jsonb,
    gtin_list jsonb,
    variant_reviews integer,
    updated_at timestamp without time zone,
    created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT dev_az_jungle_scout_product_data_pkey PRIMARY KEY (asin, report_date)
);
CREATE UNIQUE INDEX dev_az_jungle_scout_product_data_pkey ON dev_az_jungle_scout_product_data USING btree (asin, report_date);

CREATE TABLE dev_az_jungle_scout_sales_estimate_data (
    asin character varying(20) NOT NULL,
    marketplace character varying(10) NOT NULL,
    is_parent boolean,
    is_variant boolean,
    is_standalone boolean,
    parent_asin character varying(20),
    date date NOT NULL,
    estimated_units_sold integer,
    last_known_price numeric(10,2),
    updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT dev_az_jungle_scout_sales_estimate_data_pkey PRIMARY KEY (asin, marketplace, date)
);
CREATE UNIQUE INDEX dev_az_jungle_scout_sales_estimate_data_pkey ON dev_az_jungle_scout_sales_estimate_data USING btree (asin, marketplace, date);

CREATE TABLE dev_az_jungle_scout_sync_status (
    asin character varying(20) NOT NULL,
    has_product_data boolean DEFAULT false,
    has_sales_data boolean DEFAULT false,
    error text,
    product_data_synced_at timestamp without time zone,
    sales_estimate_data_synced_at timestamp without time zone,
    product_fetch_attempted_at timestamp without time zone,
    created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    failure_count integer NOT NULL DEFAULT 0,
    last_failure_at timestamp without time zone,
    CONSTRAINT dev_az_jungle_scout_sync_status_pkey PRIMARY KEY (asin)
);
CREATE INDEX dev_az_idx_js_sync_new_order ON dev_az_jungle_scout_sync_status USING btree (created_at, asin) WHERE (has_product_data = false);
CREATE INDEX dev_az_idx_js_sync_product_fetch_attempted ON dev_az_jungle_scout_sync_status USING btree (product_fetch_attempted_at) WHERE (has_product_data = false);
CREATE INDEX dev_az_idx_js_sync_sales_gap_order ON dev_az_jungle_scout_sync_status USING btree (COALESCE(sales_estimate_data_synced_at, '-infinity'::timestamp without time zone), product_data_synced_at, asin) WHERE ((has_product_data = true) AND ((sales_estimate_data_synced_at IS NULL) OR ((sales_estimate_data_synced_at)::date < (product_data_synced_at)::date)));
CREATE INDEX dev_az_idx_js_sync_stale_order ON dev_az_jungle_scout_sync_status USING btree (product_data_synced_at, asin) WHERE (has_product_data = true);
CREATE UNIQUE INDEX dev_az_jungle_scout_sync_status_pkey ON dev_az_jungle_scout_sync_status USING btree (asin);

CREATE SEQUENCE dev_az_jssync_family_audits_id_seq AS bigint OWNED BY dev_az_jssync_family_audits.id;
CREATE SEQUENCE dev_az_jssync_production_outbox_id_seq AS bigint OWNED BY dev_az_jssync_production_outbox.id;
CREATE SEQUENCE dev_az_jssync_runs_seq_seq AS bigint OWNED BY dev_az_jssync_runs.seq;

FUNCTION dev_az_jssync_add_new_visible_v1(p_now timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text))
    RETURNS integer LANGUAGE plpgsql VOLATILE;
FUNCTION dev_az_jssync_backoff_due_v1(p_failure_count integer, p_last_failure_at timestamp without time zone, p_now timestamp without time zone, p_base_seconds integer DEFAULT 3600, p_max_seconds integer DEFAULT 86400)
    RETURNS boolean LANGUAGE sql IMMUTABLE;
FUNCTION dev_az_jssync_cleanup_invisible_v1()
    RETURNS integer LANGUAGE plpgsql VOLATILE;
FUNCTION dev_az_jssync_select_asins_v1(p_limit integer DEFAULT 100, p_stale_days integer DEFAULT 30, p_retry_days integer DEFAULT 15, p_now timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text))
    RETURNS TABLE(asin character varying, kind text, sales_synced_at timestamp without time zone) LANGUAGE plpgsql STABLE;
FUNCTION dev_az_jssync_select_asins_v2(p_limit integer DEFAULT 100, p_stale_days integer DEFAULT 30, p_retry_days integer DEFAULT 15, p_now timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text), p_backoff_base_seconds integer DEFAULT 3600, p_backoff_max_seconds integer DEFAULT 86400)
    RETURNS TABLE(asin character varying, kind text, sales_synced_at timestamp without time zone) LANGUAGE plpgsql STABLE;
FUNCTION dev_az_jssync_select_asins_v3(p_limit integer DEFAULT 100, p_stale_days integer DEFAULT 30, p_retry_days integer DEFAULT 15, p_now timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text), p_backoff_base_seconds integer DEFAULT 3600, p_backoff_max_seconds integer DEFAULT 86400)
    RETURNS TABLE(asin character varying, kind text, sales_synced_at timestamp without time zone) LANGUAGE plpgsql STABLE;
FUNCTION dev_az_jssync_select_asins_v4(p_limit integer DEFAULT 100, p_stale_days integer DEFAULT 30, p_retry_days integer DEFAULT 15, p_now timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text), p_backoff_base_seconds integer DEFAULT 3600, p_backoff_max_seconds integer DEFAULT 86400, p_retry_slack_seconds integer DEFAULT 0)
    RETURNS TABLE(asin character varying, kind text, sales_synced_at timestamp without time zone) LANGUAGE plpgsql STABLE;
FUNCTION dev_az_jssync_select_asins_v5(p_limit integer DEFAULT 100, p_stale_days integer DEFAULT 30, p_retry_days integer DEFAULT 15, p_now timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text), p_family_sharing boolean DEFAULT false, p_marketplace character varying DEFAULT 'us'::character varying, p_backoff_base_seconds integer DEFAULT 3600, p_backoff_max_seconds integer DEFAULT 86400, p_retry_slack_seconds integer DEFAULT 0)
    RETURNS TABLE(asin character varying, kind text, sales_synced_at timestamp without time zone, sales_group text) LANGUAGE plpgsql STABLE;

-- ===== production (prefix prod_az_) =====

CREATE TABLE prod_az_jssync_schema_migrations (
    filename text NOT NULL,
    checksum character(64) NOT NULL,
    applied_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'::text),
    CONSTRAINT prod_az_jssync_schema_migrations_pkey PRIMARY KEY (filename)
);
CREATE UNIQUE INDEX prod_az_jssync_schema_migrations_pkey ON prod_az_jssync_schema_migrations USING btree (filename);

CREATE TABLE prod_az_jungle_scout_product_data (
    asin character varying(20) NOT NULL,
    report_date date NOT NULL,
    id character varying(50),
    title text,
    price numeric(10,2),
    reviews integer,
    category text,
    rating numeric(3,2),
    image_url text,
    parent_asin character varying(20),
    is_variant boolean,
    seller_type character varying(50),
    variants jsonb,
    breadcrumb_path text,
    is_standalone boolean,
    is_parent boolean,
    is_available boolean,
    brand character varying(255),
    product_rank integer,
    weight_value numeric(10,2),
    weight_unit character varying(20),
    length_value numeric(10,2),
    width_value numeric(10,2),
    height_value numeric(10,2),
    dimensions_unit character varying(20),
    listing_quality_score integer,
    number_of_sellers integer,
    buy_box_owner character varying(255),
    buy_box_owner_seller_id character varying(50),
    date_first_available date,
    date_first_available_is_estimated boolean,
    approximate_30_day_revenue numeric(15,2),
    approximate_30_day_units_sold integer,
    subcategory_ranks jsonb,
    fee_breakdown jsonb,
    ean_list jsonb,
    isbn_list jsonb,
    upc_list jsonb,
    gtin_list jsonb,
    variant_reviews integer,
    updated_at timestamp without time zone,
    created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT prod_az_jungle_scout_product_data_pkey PRIMARY KEY (asin, report_date)
);
CREATE UNIQUE INDEX prod_az_jungle_scout_product_data_pkey ON prod_az_jungle_scout_product_data USING btree (asin, report_date);

CREATE TABLE prod_az_jungle_scout_sales_estimate_data (
    asin character varying(20) NOT NULL,
    marketplace character varying(10) NOT NULL,
    is_parent boolean,
    is_variant boolean,
    is_standalone boolean,
    parent_asin character varying(20),
    date date NOT NULL,
    estimated_units_sold integer,
    last_known_price numeric(10,2),
    updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT prod_az_jungle_scout_sales_estimate_data_pkey PRIMARY KEY (asin, marketplace, date)
);
CREATE UNIQUE INDEX prod_az_jungle_scout_sales_estimate_data_pkey ON prod_az_jungle_scout_sales_estimate_data USING btree (asin, marketplace, date);
