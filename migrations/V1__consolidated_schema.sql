-- aim-migrate: baseline-version=30
--
-- GENERATED FILE: do not edit it by hand.
-- 'aim-migrate consolidate' wrote it: the database that the incremental migrations
--   001_initial_schema .. 030_enforce_not_null_and_checks (30 files)
-- build, applied in order through the runner to a scratch PostgreSQL 16 database
-- and dumped by pg_dump 16: the schema and the rows the migrations inserted,
-- without the history table public.schema_migrations.
-- To change the schema: 'aim-migrate new', write the migration, then
-- 'aim-migrate consolidate', and commit both; 'aim-migrate consolidate --check'
-- fails while this file is not what the chain generates.

--
-- PostgreSQL database dump
--

SET LOCAL check_function_bodies = false;
SET LOCAL xmloption = content;

--
-- Name: agent_status; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.agent_status AS ENUM (
    'pending',
    'verified',
    'quarantined',
    'suspended',
    'revoked'
);


--
-- Name: alert_severity; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.alert_severity AS ENUM (
    'info',
    'low',
    'medium',
    'high',
    'critical'
);


--
-- Name: record_trust_score_change(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.record_trust_score_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Scores are on a 0-100 % scale; only real changes are recorded (old → new).
    IF NEW.trust_score IS DISTINCT FROM OLD.trust_score THEN
        BEGIN
            INSERT INTO trust_score_history
                (agent_id, organization_id, old_score, new_score, reason, changed_by, changed_at)
            VALUES
                (NEW.id, NEW.organization_id, OLD.trust_score, NEW.trust_score,
                 NULLIF(current_setting('aim.trust_score_reason', true), ''),
                 current_user, NOW());
        EXCEPTION
            WHEN OTHERS THEN
                -- Never lose an audit row silently (naïve swallowing would): re-raise with context.
                RAISE EXCEPTION 'trust score audit failed for agent % (% -> %, scale 0-100%%): %',
                    NEW.id, OLD.trust_score, NEW.trust_score, SQLERRM
                    USING ERRCODE = SQLSTATE;
        END;
    END IF;
    RETURN NEW;
END;
$$;


--
-- Name: FUNCTION record_trust_score_change(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.record_trust_score_change() IS 'Writes a trust_score_history row whenever agents.trust_score changes (old → new).';


--
-- Name: set_updated_at(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := NOW();
    RETURN NEW;
END;
$$;


SET LOCAL default_table_access_method = heap;

--
-- Name: agent_mcp_connections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agent_mcp_connections (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    mcp_server_id uuid NOT NULL,
    status character varying(20) DEFAULT 'active'::character varying NOT NULL,
    first_connected_at timestamp with time zone DEFAULT now() NOT NULL,
    last_connected_at timestamp with time zone,
    connection_count bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_agent_mcp_connections_count CHECK ((connection_count >= 0)),
    CONSTRAINT chk_agent_mcp_connections_status CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'blocked'::character varying, 'revoked'::character varying]::character varying[])::text[])))
);


--
-- Name: agent_metrics_daily; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agent_metrics_daily (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    metric_date date NOT NULL,
    api_calls bigint DEFAULT 0 NOT NULL,
    verification_count integer DEFAULT 0 NOT NULL,
    failed_verification_count integer DEFAULT 0 NOT NULL,
    violation_count integer DEFAULT 0 NOT NULL,
    avg_trust_score numeric(5,2),
    avg_response_ms numeric(10,2),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_agent_metrics_daily_counts CHECK (((api_calls >= 0) AND (verification_count >= 0) AND (failed_verification_count >= 0) AND (violation_count >= 0))),
    CONSTRAINT chk_agent_metrics_daily_failed_le_total CHECK ((failed_verification_count <= verification_count))
);


--
-- Name: agent_tags; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agent_tags (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    tag_id uuid NOT NULL,
    tagged_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: agents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agents (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    name character varying(255) NOT NULL,
    display_name character varying(255) NOT NULL,
    description text,
    agent_type character varying(50) DEFAULT 'ai_agent'::character varying NOT NULL,
    status public.agent_status DEFAULT 'pending'::public.agent_status NOT NULL,
    public_key text,
    trust_score numeric(5,2) DEFAULT 50.00 NOT NULL,
    version character varying(50),
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    verified_at timestamp with time zone,
    CONSTRAINT chk_agents_agent_type CHECK (((agent_type)::text = ANY ((ARRAY['ai_agent'::character varying, 'mcp_client'::character varying, 'service'::character varying, 'autonomous'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_agents_display_name_not_blank CHECK ((btrim((display_name)::text) <> ''::text)),
    CONSTRAINT chk_agents_trust_score_range CHECK (((trust_score >= (0)::numeric) AND (trust_score <= (100)::numeric)))
);


--
-- Name: TABLE agents; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agents IS 'Registered AI agents and MCP clients whose identity AIM verifies.';


--
-- Name: COLUMN agents.trust_score; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.agents.trust_score IS 'Current trust score on a 0-100 scale; every change is audited in trust_score_history.';


--
-- Name: alerts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alerts (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    agent_id uuid,
    alert_type character varying(50) NOT NULL,
    severity public.alert_severity DEFAULT 'medium'::public.alert_severity NOT NULL,
    title character varying(500) NOT NULL,
    description text,
    source_type character varying(50),
    source_id uuid,
    is_acknowledged boolean DEFAULT false NOT NULL,
    acknowledged_by uuid,
    acknowledged_at timestamp with time zone,
    resolved_at timestamp with time zone,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_alerts_acknowledgement CHECK (((NOT is_acknowledged) OR (acknowledged_at IS NOT NULL)))
);


--
-- Name: anomalies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.anomalies (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    alert_id uuid,
    anomaly_type character varying(50) NOT NULL,
    severity public.alert_severity DEFAULT 'medium'::public.alert_severity NOT NULL,
    score numeric(5,4),
    baseline jsonb,
    observed jsonb,
    detected_at timestamp with time zone DEFAULT now() NOT NULL,
    status character varying(20) DEFAULT 'open'::character varying NOT NULL,
    resolved_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_anomalies_score CHECK (((score IS NULL) OR ((score >= (0)::numeric) AND (score <= (1)::numeric)))),
    CONSTRAINT chk_anomalies_status CHECK (((status)::text = ANY ((ARRAY['open'::character varying, 'investigating'::character varying, 'resolved'::character varying, 'false_positive'::character varying]::character varying[])::text[])))
);


--
-- Name: COLUMN anomalies.detected_at; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.anomalies.detected_at IS 'When the detector observed the anomaly (may precede created_at for batch detection).';


--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    agent_id uuid,
    created_by uuid,
    name character varying(255) NOT NULL,
    key_prefix character varying(16) NOT NULL,
    key_hash text NOT NULL,
    scopes text[] DEFAULT '{}'::text[] NOT NULL,
    expires_at timestamp with time zone,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_api_keys_expiry CHECK (((expires_at IS NULL) OR (expires_at > created_at)))
);


--
-- Name: api_usage_metrics; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_usage_metrics (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    api_key_id uuid,
    endpoint character varying(255) NOT NULL,
    method character varying(10) NOT NULL,
    bucket_start timestamp with time zone NOT NULL,
    request_count bigint DEFAULT 0 NOT NULL,
    error_count bigint DEFAULT 0 NOT NULL,
    total_latency_ms bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_api_usage_metrics_counts CHECK (((request_count >= 0) AND (error_count >= 0) AND (total_latency_ms >= 0))),
    CONSTRAINT chk_api_usage_metrics_errors_le_requests CHECK ((error_count <= request_count)),
    CONSTRAINT chk_api_usage_metrics_method CHECK (((method)::text = ANY ((ARRAY['GET'::character varying, 'POST'::character varying, 'PUT'::character varying, 'PATCH'::character varying, 'DELETE'::character varying]::character varying[])::text[])))
);


--
-- Name: audit_logs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_logs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    user_id uuid,
    agent_id uuid,
    action text NOT NULL,
    resource_type text NOT NULL,
    resource_id uuid,
    ip_address inet,
    user_agent text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE audit_logs; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.audit_logs IS 'Append-only audit trail. Rows are never updated; actor FKs become NULL when the actor is deleted.';


--
-- Name: capabilities; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.capabilities (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    capability_type character varying(100) NOT NULL,
    scope jsonb DEFAULT '{}'::jsonb NOT NULL,
    granted_by uuid,
    granted_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_capabilities_expiry CHECK (((expires_at IS NULL) OR (expires_at > granted_at)))
);


--
-- Name: TABLE capabilities; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.capabilities IS 'Capabilities granted to agents; revoked rows are kept (revoked_at) for audit.';


--
-- Name: capability_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.capability_requests (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    capability_type character varying(100) NOT NULL,
    reason text,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    requested_by uuid,
    reviewed_by uuid,
    reviewed_at timestamp with time zone,
    review_note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_capability_requests_review CHECK ((((status)::text <> ALL ((ARRAY['approved'::character varying, 'rejected'::character varying]::character varying[])::text[])) OR (reviewed_at IS NOT NULL))),
    CONSTRAINT chk_capability_requests_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'approved'::character varying, 'rejected'::character varying, 'cancelled'::character varying]::character varying[])::text[])))
);


--
-- Name: capability_violations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.capability_violations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    capability_id uuid,
    attempted_action character varying(255) NOT NULL,
    resource text,
    severity public.alert_severity DEFAULT 'medium'::public.alert_severity NOT NULL,
    was_blocked boolean DEFAULT true NOT NULL,
    source_ip inet,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: compliance_reports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.compliance_reports (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    generated_by uuid,
    report_type character varying(50) NOT NULL,
    period_start date NOT NULL,
    period_end date NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    summary jsonb DEFAULT '{}'::jsonb NOT NULL,
    storage_path text,
    error_message text,
    completed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_compliance_reports_period CHECK ((period_end >= period_start)),
    CONSTRAINT chk_compliance_reports_report_type CHECK (((report_type)::text = ANY ((ARRAY['soc2'::character varying, 'iso27001'::character varying, 'hipaa'::character varying, 'gdpr'::character varying, 'access_review'::character varying, 'custom'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_compliance_reports_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'generating'::character varying, 'completed'::character varying, 'failed'::character varying]::character varying[])::text[])))
);


--
-- Name: invitations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.invitations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    email character varying(255) NOT NULL,
    role character varying(50) DEFAULT 'member'::character varying NOT NULL,
    token_hash text NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    invited_by uuid,
    accepted_by uuid,
    expires_at timestamp with time zone NOT NULL,
    accepted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_invitations_email_lowercase CHECK (((email)::text = lower((email)::text))),
    CONSTRAINT chk_invitations_role CHECK (((role)::text = ANY ((ARRAY['admin'::character varying, 'manager'::character varying, 'member'::character varying, 'viewer'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_invitations_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'accepted'::character varying, 'revoked'::character varying, 'expired'::character varying]::character varying[])::text[])))
);


--
-- Name: mcp_server_tools; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mcp_server_tools (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    mcp_server_id uuid NOT NULL,
    name character varying(255) NOT NULL,
    description text,
    input_schema jsonb DEFAULT '{}'::jsonb NOT NULL,
    risk_level character varying(20) DEFAULT 'low'::character varying NOT NULL,
    is_enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_mcp_server_tools_risk_level CHECK (((risk_level)::text = ANY ((ARRAY['low'::character varying, 'medium'::character varying, 'high'::character varying, 'critical'::character varying]::character varying[])::text[])))
);


--
-- Name: mcp_servers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mcp_servers (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    created_by uuid,
    name character varying(255) NOT NULL,
    description text,
    url text NOT NULL,
    transport character varying(20) DEFAULT 'stdio'::character varying NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    public_key text,
    verified_at timestamp with time zone,
    last_checked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_mcp_servers_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'verified'::character varying, 'suspended'::character varying, 'revoked'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_mcp_servers_transport CHECK (((transport)::text = ANY ((ARRAY['stdio'::character varying, 'sse'::character varying, 'http'::character varying]::character varying[])::text[])))
);


--
-- Name: notification_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notification_settings (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    channel character varying(20) NOT NULL,
    event_type character varying(100) NOT NULL,
    min_severity public.alert_severity DEFAULT 'medium'::public.alert_severity NOT NULL,
    is_enabled boolean DEFAULT true NOT NULL,
    destination text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_notification_settings_channel CHECK (((channel)::text = ANY ((ARRAY['email'::character varying, 'slack'::character varying, 'webhook'::character varying, 'in_app'::character varying]::character varying[])::text[])))
);


--
-- Name: oauth_connections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oauth_connections (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    provider character varying(50) NOT NULL,
    provider_user_id character varying(255) NOT NULL,
    provider_email character varying(255),
    access_token_encrypted text,
    refresh_token_encrypted text,
    token_expires_at timestamp with time zone,
    scopes text[] DEFAULT '{}'::text[] NOT NULL,
    last_login_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_oauth_connections_provider CHECK (((provider)::text = ANY ((ARRAY['google'::character varying, 'github'::character varying, 'microsoft'::character varying, 'okta'::character varying, 'oidc'::character varying]::character varying[])::text[])))
);


--
-- Name: organizations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organizations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name character varying(255) NOT NULL,
    domain character varying(255) NOT NULL,
    plan character varying(50) DEFAULT 'free'::character varying NOT NULL,
    max_agents integer DEFAULT 100 NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    billing_email character varying(255),
    CONSTRAINT chk_organizations_domain_lowercase CHECK (((domain)::text = lower((domain)::text))),
    CONSTRAINT chk_organizations_max_agents CHECK ((max_agents > 0)),
    CONSTRAINT chk_organizations_plan CHECK (((plan)::text = ANY ((ARRAY['free'::character varying, 'pro'::character varying, 'enterprise'::character varying]::character varying[])::text[])))
);


--
-- Name: TABLE organizations; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.organizations IS 'Tenants. Every agent, user and policy belongs to exactly one organization.';


--
-- Name: registration_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.registration_requests (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    requested_by uuid,
    agent_name character varying(255) NOT NULL,
    agent_type character varying(50) DEFAULT 'ai_agent'::character varying NOT NULL,
    public_key text,
    requested_capabilities text[] DEFAULT '{}'::text[] NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamp with time zone,
    rejection_reason text,
    created_agent_id uuid,
    expires_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_registration_requests_rejection CHECK ((((status)::text <> 'rejected'::text) OR (rejection_reason IS NOT NULL))),
    CONSTRAINT chk_registration_requests_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'approved'::character varying, 'rejected'::character varying, 'expired'::character varying]::character varying[])::text[])))
);


--
-- Name: sdk_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sdk_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    agent_id uuid,
    name character varying(255) NOT NULL,
    token_prefix character varying(16) NOT NULL,
    token_hash text NOT NULL,
    expires_at timestamp with time zone,
    last_used_at timestamp with time zone,
    last_used_ip inet,
    revoked_at timestamp with time zone,
    revoke_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_sdk_tokens_revocation CHECK (((revoke_reason IS NULL) OR (revoked_at IS NOT NULL)))
);


--
-- Name: security_policies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.security_policies (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    name character varying(255) NOT NULL,
    description text,
    policy_type character varying(50) NOT NULL,
    enforcement_action character varying(20) DEFAULT 'alert'::character varying NOT NULL,
    rules jsonb DEFAULT '{}'::jsonb NOT NULL,
    priority integer DEFAULT 100 NOT NULL,
    is_enabled boolean DEFAULT true NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_security_policies_enforcement_action CHECK (((enforcement_action)::text = ANY ((ARRAY['allow'::character varying, 'alert'::character varying, 'block'::character varying, 'quarantine'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_security_policies_policy_type CHECK (((policy_type)::text = ANY ((ARRAY['capability'::character varying, 'trust_threshold'::character varying, 'rate_limit'::character varying, 'mcp_access'::character varying, 'anomaly'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_security_policies_priority CHECK (((priority >= 0) AND (priority <= 1000)))
);


--
-- Name: system_config; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.system_config (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    key character varying(255) NOT NULL,
    value jsonb NOT NULL,
    description text,
    is_secret boolean DEFAULT false NOT NULL,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_system_config_key_format CHECK (((key)::text ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$'::text))
);


--
-- Name: TABLE system_config; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.system_config IS 'Instance-wide settings (JSONB values). Secrets are flagged with is_secret and never returned by the API.';


--
-- Name: tags; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tags (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    name character varying(100) NOT NULL,
    color character varying(7),
    description text,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_tags_color CHECK (((color IS NULL) OR ((color)::text ~ '^#[0-9A-Fa-f]{6}$'::text)))
);


--
-- Name: trust_score_history; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.trust_score_history (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    old_score numeric(5,2),
    new_score numeric(5,2) NOT NULL,
    reason text,
    changed_by text DEFAULT CURRENT_USER NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE trust_score_history; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.trust_score_history IS 'Append-only audit of agents.trust_score changes, written by trg_agents_trust_score_audit.';


--
-- Name: trust_scores; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.trust_scores (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    agent_id uuid NOT NULL,
    score numeric(5,2) NOT NULL,
    verification_score numeric(5,2) DEFAULT 0 NOT NULL,
    behavior_score numeric(5,2) DEFAULT 0 NOT NULL,
    compliance_score numeric(5,2) DEFAULT 0 NOT NULL,
    factors jsonb DEFAULT '{}'::jsonb NOT NULL,
    calculated_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_trust_scores_components CHECK ((((verification_score >= (0)::numeric) AND (verification_score <= (100)::numeric))::boolean AND ((behavior_score >= (0)::numeric) AND (behavior_score <= (100)::numeric)) AND ((compliance_score >= (0)::numeric) AND (compliance_score <= (100)::numeric)))),
    CONSTRAINT chk_trust_scores_score CHECK (((score >= (0)::numeric) AND (score <= (100)::numeric)))
);


--
-- Name: user_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    token_hash text NOT NULL,
    ip_address inet,
    user_agent text,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_user_sessions_expiry CHECK ((expires_at > created_at))
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    email character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    password_hash text,
    role character varying(50) DEFAULT 'member'::character varying NOT NULL,
    status character varying(20) DEFAULT 'active'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    must_change_password boolean DEFAULT false NOT NULL,
    last_login_at timestamp with time zone,
    failed_login_attempts integer DEFAULT 0 NOT NULL,
    locked_until timestamp with time zone,
    password_changed_at timestamp with time zone,
    auth_provider character varying(50) DEFAULT 'local'::character varying NOT NULL,
    CONSTRAINT chk_users_auth_provider CHECK (((auth_provider)::text = ANY ((ARRAY['local'::character varying, 'google'::character varying, 'github'::character varying, 'microsoft'::character varying, 'okta'::character varying, 'oidc'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_users_email_lowercase CHECK (((email)::text = lower((email)::text))),
    CONSTRAINT chk_users_failed_login_attempts CHECK ((failed_login_attempts >= 0)),
    CONSTRAINT chk_users_role CHECK (((role)::text = ANY ((ARRAY['admin'::character varying, 'manager'::character varying, 'member'::character varying, 'viewer'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_users_status CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'suspended'::character varying, 'deactivated'::character varying]::character varying[])::text[])))
);


--
-- Name: COLUMN users.password_hash; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.users.password_hash IS 'bcrypt/argon2 hash, or NULL for SSO-only users. The value ''!'' means locked: it can never verify.';


--
-- Name: COLUMN users.must_change_password; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.users.must_change_password IS 'When true the user is forced through the change-password flow before anything else.';


--
-- Name: verification_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.verification_events (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    agent_id uuid,
    mcp_server_id uuid,
    event_type character varying(50) NOT NULL,
    status character varying(20) NOT NULL,
    protocol character varying(50),
    confidence numeric(5,4),
    duration_ms integer,
    initiator_type character varying(20) DEFAULT 'system'::character varying NOT NULL,
    initiator_id uuid,
    error_message text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_verification_events_confidence CHECK (((confidence IS NULL) OR ((confidence >= (0)::numeric) AND (confidence <= (1)::numeric)))),
    CONSTRAINT chk_verification_events_event_type CHECK (((event_type)::text = ANY ((ARRAY['signature'::character varying, 'challenge'::character varying, 'certificate'::character varying, 'mcp_attestation'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_verification_events_initiator_type CHECK (((initiator_type)::text = ANY ((ARRAY['system'::character varying, 'user'::character varying, 'agent'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_verification_events_status CHECK (((status)::text = ANY ((ARRAY['success'::character varying, 'failed'::character varying, 'pending'::character varying, 'timeout'::character varying]::character varying[])::text[]))),
    CONSTRAINT chk_verification_events_subject CHECK (((agent_id IS NOT NULL) OR (mcp_server_id IS NOT NULL)))
);


--
-- Name: webhook_deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_deliveries (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    webhook_id uuid NOT NULL,
    event_type character varying(100) NOT NULL,
    payload jsonb NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    response_status integer,
    response_body text,
    attempt_count integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_webhook_deliveries_attempt_count CHECK ((attempt_count >= 0)),
    CONSTRAINT chk_webhook_deliveries_response_status CHECK (((response_status IS NULL) OR ((response_status >= 100) AND (response_status <= 599)))),
    CONSTRAINT chk_webhook_deliveries_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'delivered'::character varying, 'failed'::character varying, 'abandoned'::character varying]::character varying[])::text[])))
);


--
-- Name: webhooks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhooks (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    created_by uuid,
    name character varying(255) NOT NULL,
    url text NOT NULL,
    secret_ciphertext text NOT NULL,
    events text[] DEFAULT '{}'::text[] NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    max_retries integer DEFAULT 3 NOT NULL,
    failure_count integer DEFAULT 0 NOT NULL,
    last_triggered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT chk_webhooks_failure_count CHECK ((failure_count >= 0)),
    CONSTRAINT chk_webhooks_max_retries CHECK (((max_retries >= 0) AND (max_retries <= 10))),
    CONSTRAINT chk_webhooks_url_scheme CHECK ((url ~* '^https?://'::text))
);


--
-- Name: COLUMN webhooks.secret_ciphertext; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.webhooks.secret_ciphertext IS 'HMAC signing secret, encrypted by the application (it must be recoverable to sign payloads).';


--
-- Data for Name: agent_mcp_connections; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: agent_metrics_daily; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: agent_tags; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: agents; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: alerts; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: anomalies; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: api_usage_metrics; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: audit_logs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: capabilities; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: capability_requests; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: capability_violations; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: compliance_reports; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: invitations; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mcp_server_tools; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mcp_servers; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: notification_settings; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: oauth_connections; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: organizations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.organizations (id, name, domain, plan, max_agents, is_active, created_at, updated_at, settings, billing_email) VALUES ('00000000-0000-4000-a000-000000000001', 'OpenA2A Admin', 'opena2a.org', 'enterprise', 1000, true, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00', '{}', NULL);


--
-- Data for Name: registration_requests; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sdk_tokens; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: security_policies; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: system_config; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.system_config (id, key, value, description, is_secret, updated_by, created_at, updated_at) VALUES ('00000000-0000-4000-a000-000000000101', 'auth.password_min_length', '12', 'Minimum length of a user password.', false, NULL, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00');
INSERT INTO public.system_config (id, key, value, description, is_secret, updated_by, created_at, updated_at) VALUES ('00000000-0000-4000-a000-000000000102', 'auth.max_failed_logins', '5', 'Failed logins before the account is temporarily locked.', false, NULL, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00');
INSERT INTO public.system_config (id, key, value, description, is_secret, updated_by, created_at, updated_at) VALUES ('00000000-0000-4000-a000-000000000103', 'auth.session_ttl_minutes', '60', 'Lifetime of a dashboard session in minutes.', false, NULL, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00');
INSERT INTO public.system_config (id, key, value, description, is_secret, updated_by, created_at, updated_at) VALUES ('00000000-0000-4000-a000-000000000104', 'registration.require_approval', 'true', 'Agent self-registrations need admin approval.', false, NULL, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00');
INSERT INTO public.system_config (id, key, value, description, is_secret, updated_by, created_at, updated_at) VALUES ('00000000-0000-4000-a000-000000000105', 'trust.default_score', '50', 'Trust score (0-100) assigned to a newly registered agent.', false, NULL, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00');


--
-- Data for Name: tags; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: trust_score_history; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: trust_scores; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: user_sessions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users (id, organization_id, email, name, password_hash, role, status, created_at, updated_at, must_change_password, last_login_at, failed_login_attempts, locked_until, password_changed_at, auth_provider) VALUES ('00000000-0000-4000-a000-000000000002', '00000000-0000-4000-a000-000000000001', 'admin@opena2a.org', 'AIM Administrator', '!', 'admin', 'active', '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00', true, NULL, 0, NULL, NULL, 'local');


--
-- Data for Name: verification_events; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: webhook_deliveries; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: webhooks; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Name: agent_mcp_connections pk_agent_mcp_connections; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_mcp_connections
    ADD CONSTRAINT pk_agent_mcp_connections PRIMARY KEY (id);


--
-- Name: agent_metrics_daily pk_agent_metrics_daily; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_metrics_daily
    ADD CONSTRAINT pk_agent_metrics_daily PRIMARY KEY (id);


--
-- Name: agent_tags pk_agent_tags; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_tags
    ADD CONSTRAINT pk_agent_tags PRIMARY KEY (id);


--
-- Name: agents pk_agents; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT pk_agents PRIMARY KEY (id);


--
-- Name: alerts pk_alerts; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT pk_alerts PRIMARY KEY (id);


--
-- Name: anomalies pk_anomalies; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomalies
    ADD CONSTRAINT pk_anomalies PRIMARY KEY (id);


--
-- Name: api_keys pk_api_keys; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT pk_api_keys PRIMARY KEY (id);


--
-- Name: api_usage_metrics pk_api_usage_metrics; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_usage_metrics
    ADD CONSTRAINT pk_api_usage_metrics PRIMARY KEY (id);


--
-- Name: audit_logs pk_audit_logs; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_logs
    ADD CONSTRAINT pk_audit_logs PRIMARY KEY (id);


--
-- Name: capabilities pk_capabilities; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capabilities
    ADD CONSTRAINT pk_capabilities PRIMARY KEY (id);


--
-- Name: capability_requests pk_capability_requests; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capability_requests
    ADD CONSTRAINT pk_capability_requests PRIMARY KEY (id);


--
-- Name: capability_violations pk_capability_violations; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capability_violations
    ADD CONSTRAINT pk_capability_violations PRIMARY KEY (id);


--
-- Name: compliance_reports pk_compliance_reports; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.compliance_reports
    ADD CONSTRAINT pk_compliance_reports PRIMARY KEY (id);


--
-- Name: invitations pk_invitations; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT pk_invitations PRIMARY KEY (id);


--
-- Name: mcp_server_tools pk_mcp_server_tools; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mcp_server_tools
    ADD CONSTRAINT pk_mcp_server_tools PRIMARY KEY (id);


--
-- Name: mcp_servers pk_mcp_servers; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mcp_servers
    ADD CONSTRAINT pk_mcp_servers PRIMARY KEY (id);


--
-- Name: notification_settings pk_notification_settings; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_settings
    ADD CONSTRAINT pk_notification_settings PRIMARY KEY (id);


--
-- Name: oauth_connections pk_oauth_connections; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_connections
    ADD CONSTRAINT pk_oauth_connections PRIMARY KEY (id);


--
-- Name: organizations pk_organizations; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT pk_organizations PRIMARY KEY (id);


--
-- Name: registration_requests pk_registration_requests; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registration_requests
    ADD CONSTRAINT pk_registration_requests PRIMARY KEY (id);


--
-- Name: sdk_tokens pk_sdk_tokens; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sdk_tokens
    ADD CONSTRAINT pk_sdk_tokens PRIMARY KEY (id);


--
-- Name: security_policies pk_security_policies; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_policies
    ADD CONSTRAINT pk_security_policies PRIMARY KEY (id);


--
-- Name: system_config pk_system_config; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.system_config
    ADD CONSTRAINT pk_system_config PRIMARY KEY (id);


--
-- Name: tags pk_tags; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT pk_tags PRIMARY KEY (id);


--
-- Name: trust_score_history pk_trust_score_history; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trust_score_history
    ADD CONSTRAINT pk_trust_score_history PRIMARY KEY (id);


--
-- Name: trust_scores pk_trust_scores; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trust_scores
    ADD CONSTRAINT pk_trust_scores PRIMARY KEY (id);


--
-- Name: user_sessions pk_user_sessions; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_sessions
    ADD CONSTRAINT pk_user_sessions PRIMARY KEY (id);


--
-- Name: users pk_users; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT pk_users PRIMARY KEY (id);


--
-- Name: verification_events pk_verification_events; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.verification_events
    ADD CONSTRAINT pk_verification_events PRIMARY KEY (id);


--
-- Name: webhook_deliveries pk_webhook_deliveries; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id);


--
-- Name: webhooks pk_webhooks; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhooks
    ADD CONSTRAINT pk_webhooks PRIMARY KEY (id);


--
-- Name: agent_mcp_connections uq_agent_mcp_connections_agent_server; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_mcp_connections
    ADD CONSTRAINT uq_agent_mcp_connections_agent_server UNIQUE (agent_id, mcp_server_id);


--
-- Name: agent_metrics_daily uq_agent_metrics_daily_agent_date; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_metrics_daily
    ADD CONSTRAINT uq_agent_metrics_daily_agent_date UNIQUE (agent_id, metric_date);


--
-- Name: agent_tags uq_agent_tags_agent_tag; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_tags
    ADD CONSTRAINT uq_agent_tags_agent_tag UNIQUE (agent_id, tag_id);


--
-- Name: agents uq_agents_organization_name; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT uq_agents_organization_name UNIQUE (organization_id, name);


--
-- Name: api_keys uq_api_keys_key_hash; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash);


--
-- Name: api_usage_metrics uq_api_usage_metrics_bucket; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_usage_metrics
    ADD CONSTRAINT uq_api_usage_metrics_bucket UNIQUE NULLS NOT DISTINCT (organization_id, bucket_start, endpoint, method, api_key_id);


--
-- Name: capabilities uq_capabilities_agent_type; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capabilities
    ADD CONSTRAINT uq_capabilities_agent_type UNIQUE (agent_id, capability_type);


--
-- Name: invitations uq_invitations_token_hash; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT uq_invitations_token_hash UNIQUE (token_hash);


--
-- Name: mcp_server_tools uq_mcp_server_tools_server_name; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mcp_server_tools
    ADD CONSTRAINT uq_mcp_server_tools_server_name UNIQUE (mcp_server_id, name);


--
-- Name: mcp_servers uq_mcp_servers_organization_url; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mcp_servers
    ADD CONSTRAINT uq_mcp_servers_organization_url UNIQUE (organization_id, url);


--
-- Name: notification_settings uq_notification_settings_user_channel_event; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_settings
    ADD CONSTRAINT uq_notification_settings_user_channel_event UNIQUE (user_id, channel, event_type);


--
-- Name: oauth_connections uq_oauth_connections_provider_subject; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_connections
    ADD CONSTRAINT uq_oauth_connections_provider_subject UNIQUE (provider, provider_user_id);


--
-- Name: oauth_connections uq_oauth_connections_user_provider; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_connections
    ADD CONSTRAINT uq_oauth_connections_user_provider UNIQUE (user_id, provider);


--
-- Name: organizations uq_organizations_domain; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT uq_organizations_domain UNIQUE (domain);


--
-- Name: sdk_tokens uq_sdk_tokens_token_hash; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sdk_tokens
    ADD CONSTRAINT uq_sdk_tokens_token_hash UNIQUE (token_hash);


--
-- Name: security_policies uq_security_policies_organization_name; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_policies
    ADD CONSTRAINT uq_security_policies_organization_name UNIQUE (organization_id, name);


--
-- Name: system_config uq_system_config_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.system_config
    ADD CONSTRAINT uq_system_config_key UNIQUE (key);


--
-- Name: tags uq_tags_organization_name; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT uq_tags_organization_name UNIQUE (organization_id, name);


--
-- Name: trust_scores uq_trust_scores_agent; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trust_scores
    ADD CONSTRAINT uq_trust_scores_agent UNIQUE (agent_id);


--
-- Name: user_sessions uq_user_sessions_token_hash; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_sessions
    ADD CONSTRAINT uq_user_sessions_token_hash UNIQUE (token_hash);


--
-- Name: users uq_users_email; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT uq_users_email UNIQUE (email);


--
-- Name: webhooks uq_webhooks_organization_name; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhooks
    ADD CONSTRAINT uq_webhooks_organization_name UNIQUE (organization_id, name);


--
-- Name: idx_agent_mcp_connections_mcp_server_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_agent_mcp_connections_mcp_server_id ON public.agent_mcp_connections USING btree (mcp_server_id);


--
-- Name: idx_agent_metrics_daily_organization_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_agent_metrics_daily_organization_date ON public.agent_metrics_daily USING btree (organization_id, metric_date);


--
-- Name: idx_agent_tags_tag_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_agent_tags_tag_id ON public.agent_tags USING btree (tag_id);


--
-- Name: idx_agent_tags_tagged_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_agent_tags_tagged_by ON public.agent_tags USING btree (tagged_by);


--
-- Name: idx_agents_created_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_agents_created_by ON public.agents USING btree (created_by);


--
-- Name: idx_agents_last_seen_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_agents_last_seen_at ON public.agents USING btree (last_seen_at);


--
-- Name: idx_agents_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_agents_status ON public.agents USING btree (status);


--
-- Name: idx_alerts_acknowledged_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_alerts_acknowledged_by ON public.alerts USING btree (acknowledged_by);


--
-- Name: idx_alerts_agent_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_alerts_agent_id ON public.alerts USING btree (agent_id);


--
-- Name: idx_alerts_organization_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_alerts_organization_created_at ON public.alerts USING btree (organization_id, created_at DESC);


--
-- Name: idx_alerts_unacknowledged; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_alerts_unacknowledged ON public.alerts USING btree (organization_id, severity) WHERE (NOT is_acknowledged);


--
-- Name: idx_anomalies_agent_detected_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_anomalies_agent_detected_at ON public.anomalies USING btree (agent_id, detected_at DESC);


--
-- Name: idx_anomalies_alert_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_anomalies_alert_id ON public.anomalies USING btree (alert_id);


--
-- Name: idx_anomalies_organization_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_anomalies_organization_id ON public.anomalies USING btree (organization_id);


--
-- Name: idx_api_keys_agent_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_api_keys_agent_id ON public.api_keys USING btree (agent_id);


--
-- Name: idx_api_keys_created_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_api_keys_created_by ON public.api_keys USING btree (created_by);


--
-- Name: idx_api_keys_key_prefix; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_api_keys_key_prefix ON public.api_keys USING btree (key_prefix);


--
-- Name: idx_api_keys_organization_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_api_keys_organization_id ON public.api_keys USING btree (organization_id);


--
-- Name: idx_api_usage_metrics_api_key_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_api_usage_metrics_api_key_id ON public.api_usage_metrics USING btree (api_key_id);


--
-- Name: idx_audit_logs_action; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_logs_action ON public.audit_logs USING btree (action);


--
-- Name: idx_audit_logs_agent_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_logs_agent_id ON public.audit_logs USING btree (agent_id);


--
-- Name: idx_audit_logs_organization_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_logs_organization_created_at ON public.audit_logs USING btree (organization_id, created_at DESC);


--
-- Name: idx_audit_logs_resource; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_logs_resource ON public.audit_logs USING btree (resource_type, resource_id);


--
-- Name: idx_audit_logs_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_logs_user_id ON public.audit_logs USING btree (user_id);


--
-- Name: idx_capabilities_granted_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_capabilities_granted_by ON public.capabilities USING btree (granted_by);


--
-- Name: idx_capability_requests_agent_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_capability_requests_agent_id ON public.capability_requests USING btree (agent_id);


--
-- Name: idx_capability_requests_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_capability_requests_pending ON public.capability_requests USING btree (created_at) WHERE ((status)::text = 'pending'::text);


--
-- Name: idx_capability_requests_requested_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_capability_requests_requested_by ON public.capability_requests USING btree (requested_by);


--
-- Name: idx_capability_requests_reviewed_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_capability_requests_reviewed_by ON public.capability_requests USING btree (reviewed_by);


--
-- Name: idx_capability_violations_agent_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_capability_violations_agent_created_at ON public.capability_violations USING btree (agent_id, created_at DESC);


--
-- Name: idx_capability_violations_capability_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_capability_violations_capability_id ON public.capability_violations USING btree (capability_id);


--
-- Name: idx_compliance_reports_generated_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_compliance_reports_generated_by ON public.compliance_reports USING btree (generated_by);


--
-- Name: idx_compliance_reports_organization_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_compliance_reports_organization_created_at ON public.compliance_reports USING btree (organization_id, created_at DESC);


--
-- Name: idx_invitations_accepted_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_invitations_accepted_by ON public.invitations USING btree (accepted_by);


--
-- Name: idx_invitations_invited_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_invitations_invited_by ON public.invitations USING btree (invited_by);


--
-- Name: idx_invitations_organization_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_invitations_organization_id ON public.invitations USING btree (organization_id);


--
-- Name: idx_mcp_servers_created_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_mcp_servers_created_by ON public.mcp_servers USING btree (created_by);


--
-- Name: idx_notification_settings_organization_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_notification_settings_organization_id ON public.notification_settings USING btree (organization_id);


--
-- Name: idx_registration_requests_created_agent_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_registration_requests_created_agent_id ON public.registration_requests USING btree (created_agent_id);


--
-- Name: idx_registration_requests_organization_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_registration_requests_organization_status ON public.registration_requests USING btree (organization_id, status);


--
-- Name: idx_registration_requests_requested_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_registration_requests_requested_by ON public.registration_requests USING btree (requested_by);


--
-- Name: idx_registration_requests_reviewed_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_registration_requests_reviewed_by ON public.registration_requests USING btree (reviewed_by);


--
-- Name: idx_sdk_tokens_agent_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_sdk_tokens_agent_id ON public.sdk_tokens USING btree (agent_id);


--
-- Name: idx_sdk_tokens_organization_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_sdk_tokens_organization_id ON public.sdk_tokens USING btree (organization_id);


--
-- Name: idx_sdk_tokens_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_sdk_tokens_user_id ON public.sdk_tokens USING btree (user_id);


--
-- Name: idx_security_policies_created_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_security_policies_created_by ON public.security_policies USING btree (created_by);


--
-- Name: idx_system_config_updated_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_system_config_updated_by ON public.system_config USING btree (updated_by);


--
-- Name: idx_tags_created_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_tags_created_by ON public.tags USING btree (created_by);


--
-- Name: idx_trust_score_history_agent_changed_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_trust_score_history_agent_changed_at ON public.trust_score_history USING btree (agent_id, changed_at DESC);


--
-- Name: idx_trust_score_history_organization_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_trust_score_history_organization_id ON public.trust_score_history USING btree (organization_id);


--
-- Name: idx_user_sessions_expires_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_user_sessions_expires_at ON public.user_sessions USING btree (expires_at);


--
-- Name: idx_user_sessions_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_user_sessions_user_id ON public.user_sessions USING btree (user_id);


--
-- Name: idx_users_organization_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_users_organization_id ON public.users USING btree (organization_id);


--
-- Name: idx_verification_events_agent_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_verification_events_agent_id ON public.verification_events USING btree (agent_id);


--
-- Name: idx_verification_events_mcp_server_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_verification_events_mcp_server_id ON public.verification_events USING btree (mcp_server_id);


--
-- Name: idx_verification_events_organization_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_verification_events_organization_created_at ON public.verification_events USING btree (organization_id, created_at DESC);


--
-- Name: idx_webhook_deliveries_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_webhook_deliveries_pending ON public.webhook_deliveries USING btree (next_attempt_at) WHERE ((status)::text = 'pending'::text);


--
-- Name: idx_webhook_deliveries_webhook_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_webhook_deliveries_webhook_created_at ON public.webhook_deliveries USING btree (webhook_id, created_at DESC);


--
-- Name: idx_webhooks_created_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_webhooks_created_by ON public.webhooks USING btree (created_by);


--
-- Name: uq_invitations_pending_email; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX uq_invitations_pending_email ON public.invitations USING btree (organization_id, email) WHERE ((status)::text = 'pending'::text);


--
-- Name: agent_mcp_connections trg_agent_mcp_connections_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_agent_mcp_connections_updated_at BEFORE UPDATE ON public.agent_mcp_connections FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: agent_metrics_daily trg_agent_metrics_daily_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_agent_metrics_daily_updated_at BEFORE UPDATE ON public.agent_metrics_daily FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: agents trg_agents_trust_score_audit; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_agents_trust_score_audit AFTER UPDATE OF trust_score ON public.agents FOR EACH ROW WHEN ((old.trust_score IS DISTINCT FROM new.trust_score)) EXECUTE FUNCTION public.record_trust_score_change();


--
-- Name: agents trg_agents_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_agents_updated_at BEFORE UPDATE ON public.agents FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: alerts trg_alerts_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_alerts_updated_at BEFORE UPDATE ON public.alerts FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: anomalies trg_anomalies_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_anomalies_updated_at BEFORE UPDATE ON public.anomalies FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: api_keys trg_api_keys_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_api_keys_updated_at BEFORE UPDATE ON public.api_keys FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: api_usage_metrics trg_api_usage_metrics_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_api_usage_metrics_updated_at BEFORE UPDATE ON public.api_usage_metrics FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: capabilities trg_capabilities_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_capabilities_updated_at BEFORE UPDATE ON public.capabilities FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: capability_requests trg_capability_requests_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_capability_requests_updated_at BEFORE UPDATE ON public.capability_requests FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: compliance_reports trg_compliance_reports_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_compliance_reports_updated_at BEFORE UPDATE ON public.compliance_reports FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: invitations trg_invitations_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_invitations_updated_at BEFORE UPDATE ON public.invitations FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: mcp_server_tools trg_mcp_server_tools_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_mcp_server_tools_updated_at BEFORE UPDATE ON public.mcp_server_tools FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: mcp_servers trg_mcp_servers_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_mcp_servers_updated_at BEFORE UPDATE ON public.mcp_servers FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: notification_settings trg_notification_settings_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_notification_settings_updated_at BEFORE UPDATE ON public.notification_settings FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: oauth_connections trg_oauth_connections_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_oauth_connections_updated_at BEFORE UPDATE ON public.oauth_connections FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: organizations trg_organizations_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_organizations_updated_at BEFORE UPDATE ON public.organizations FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: registration_requests trg_registration_requests_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_registration_requests_updated_at BEFORE UPDATE ON public.registration_requests FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: sdk_tokens trg_sdk_tokens_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_sdk_tokens_updated_at BEFORE UPDATE ON public.sdk_tokens FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: security_policies trg_security_policies_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_security_policies_updated_at BEFORE UPDATE ON public.security_policies FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: system_config trg_system_config_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_system_config_updated_at BEFORE UPDATE ON public.system_config FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: tags trg_tags_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_tags_updated_at BEFORE UPDATE ON public.tags FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: trust_scores trg_trust_scores_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_trust_scores_updated_at BEFORE UPDATE ON public.trust_scores FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: user_sessions trg_user_sessions_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_user_sessions_updated_at BEFORE UPDATE ON public.user_sessions FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: users trg_users_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_users_updated_at BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: webhook_deliveries trg_webhook_deliveries_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_webhook_deliveries_updated_at BEFORE UPDATE ON public.webhook_deliveries FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: webhooks trg_webhooks_updated_at; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER trg_webhooks_updated_at BEFORE UPDATE ON public.webhooks FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();


--
-- Name: agent_mcp_connections fk_agent_mcp_connections_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_mcp_connections
    ADD CONSTRAINT fk_agent_mcp_connections_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: agent_mcp_connections fk_agent_mcp_connections_mcp_server; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_mcp_connections
    ADD CONSTRAINT fk_agent_mcp_connections_mcp_server FOREIGN KEY (mcp_server_id) REFERENCES public.mcp_servers(id) ON DELETE CASCADE;


--
-- Name: agent_metrics_daily fk_agent_metrics_daily_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_metrics_daily
    ADD CONSTRAINT fk_agent_metrics_daily_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: agent_metrics_daily fk_agent_metrics_daily_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_metrics_daily
    ADD CONSTRAINT fk_agent_metrics_daily_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: agent_tags fk_agent_tags_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_tags
    ADD CONSTRAINT fk_agent_tags_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: agent_tags fk_agent_tags_tag; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_tags
    ADD CONSTRAINT fk_agent_tags_tag FOREIGN KEY (tag_id) REFERENCES public.tags(id) ON DELETE CASCADE;


--
-- Name: agent_tags fk_agent_tags_tagged_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_tags
    ADD CONSTRAINT fk_agent_tags_tagged_by FOREIGN KEY (tagged_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: agents fk_agents_created_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT fk_agents_created_by FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: agents fk_agents_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT fk_agents_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: alerts fk_alerts_acknowledged_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT fk_alerts_acknowledged_by FOREIGN KEY (acknowledged_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: alerts fk_alerts_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT fk_alerts_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE SET NULL;


--
-- Name: alerts fk_alerts_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT fk_alerts_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: anomalies fk_anomalies_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomalies
    ADD CONSTRAINT fk_anomalies_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: anomalies fk_anomalies_alert; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomalies
    ADD CONSTRAINT fk_anomalies_alert FOREIGN KEY (alert_id) REFERENCES public.alerts(id) ON DELETE SET NULL;


--
-- Name: anomalies fk_anomalies_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomalies
    ADD CONSTRAINT fk_anomalies_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: api_keys fk_api_keys_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT fk_api_keys_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: api_keys fk_api_keys_created_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT fk_api_keys_created_by FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: api_keys fk_api_keys_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT fk_api_keys_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: api_usage_metrics fk_api_usage_metrics_api_key; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_usage_metrics
    ADD CONSTRAINT fk_api_usage_metrics_api_key FOREIGN KEY (api_key_id) REFERENCES public.api_keys(id) ON DELETE SET NULL;


--
-- Name: api_usage_metrics fk_api_usage_metrics_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_usage_metrics
    ADD CONSTRAINT fk_api_usage_metrics_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: audit_logs fk_audit_logs_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_logs
    ADD CONSTRAINT fk_audit_logs_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE SET NULL;


--
-- Name: audit_logs fk_audit_logs_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_logs
    ADD CONSTRAINT fk_audit_logs_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: audit_logs fk_audit_logs_user; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_logs
    ADD CONSTRAINT fk_audit_logs_user FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: capabilities fk_capabilities_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capabilities
    ADD CONSTRAINT fk_capabilities_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: capabilities fk_capabilities_granted_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capabilities
    ADD CONSTRAINT fk_capabilities_granted_by FOREIGN KEY (granted_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: capability_requests fk_capability_requests_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capability_requests
    ADD CONSTRAINT fk_capability_requests_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: capability_requests fk_capability_requests_requested_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capability_requests
    ADD CONSTRAINT fk_capability_requests_requested_by FOREIGN KEY (requested_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: capability_requests fk_capability_requests_reviewed_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capability_requests
    ADD CONSTRAINT fk_capability_requests_reviewed_by FOREIGN KEY (reviewed_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: capability_violations fk_capability_violations_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capability_violations
    ADD CONSTRAINT fk_capability_violations_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: capability_violations fk_capability_violations_capability; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.capability_violations
    ADD CONSTRAINT fk_capability_violations_capability FOREIGN KEY (capability_id) REFERENCES public.capabilities(id) ON DELETE SET NULL;


--
-- Name: compliance_reports fk_compliance_reports_generated_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.compliance_reports
    ADD CONSTRAINT fk_compliance_reports_generated_by FOREIGN KEY (generated_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: compliance_reports fk_compliance_reports_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.compliance_reports
    ADD CONSTRAINT fk_compliance_reports_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: invitations fk_invitations_accepted_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT fk_invitations_accepted_by FOREIGN KEY (accepted_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: invitations fk_invitations_invited_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT fk_invitations_invited_by FOREIGN KEY (invited_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: invitations fk_invitations_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT fk_invitations_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: mcp_server_tools fk_mcp_server_tools_mcp_server; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mcp_server_tools
    ADD CONSTRAINT fk_mcp_server_tools_mcp_server FOREIGN KEY (mcp_server_id) REFERENCES public.mcp_servers(id) ON DELETE CASCADE;


--
-- Name: mcp_servers fk_mcp_servers_created_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mcp_servers
    ADD CONSTRAINT fk_mcp_servers_created_by FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: mcp_servers fk_mcp_servers_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mcp_servers
    ADD CONSTRAINT fk_mcp_servers_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: notification_settings fk_notification_settings_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_settings
    ADD CONSTRAINT fk_notification_settings_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: notification_settings fk_notification_settings_user; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_settings
    ADD CONSTRAINT fk_notification_settings_user FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: oauth_connections fk_oauth_connections_user; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_connections
    ADD CONSTRAINT fk_oauth_connections_user FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: registration_requests fk_registration_requests_created_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registration_requests
    ADD CONSTRAINT fk_registration_requests_created_agent FOREIGN KEY (created_agent_id) REFERENCES public.agents(id) ON DELETE SET NULL;


--
-- Name: registration_requests fk_registration_requests_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registration_requests
    ADD CONSTRAINT fk_registration_requests_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: registration_requests fk_registration_requests_requested_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registration_requests
    ADD CONSTRAINT fk_registration_requests_requested_by FOREIGN KEY (requested_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: registration_requests fk_registration_requests_reviewed_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registration_requests
    ADD CONSTRAINT fk_registration_requests_reviewed_by FOREIGN KEY (reviewed_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: sdk_tokens fk_sdk_tokens_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sdk_tokens
    ADD CONSTRAINT fk_sdk_tokens_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE SET NULL;


--
-- Name: sdk_tokens fk_sdk_tokens_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sdk_tokens
    ADD CONSTRAINT fk_sdk_tokens_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: sdk_tokens fk_sdk_tokens_user; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sdk_tokens
    ADD CONSTRAINT fk_sdk_tokens_user FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: security_policies fk_security_policies_created_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_policies
    ADD CONSTRAINT fk_security_policies_created_by FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: security_policies fk_security_policies_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_policies
    ADD CONSTRAINT fk_security_policies_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: system_config fk_system_config_updated_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.system_config
    ADD CONSTRAINT fk_system_config_updated_by FOREIGN KEY (updated_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: tags fk_tags_created_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT fk_tags_created_by FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: tags fk_tags_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT fk_tags_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: trust_score_history fk_trust_score_history_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trust_score_history
    ADD CONSTRAINT fk_trust_score_history_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: trust_score_history fk_trust_score_history_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trust_score_history
    ADD CONSTRAINT fk_trust_score_history_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: trust_scores fk_trust_scores_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trust_scores
    ADD CONSTRAINT fk_trust_scores_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: user_sessions fk_user_sessions_user; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_sessions
    ADD CONSTRAINT fk_user_sessions_user FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: users fk_users_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT fk_users_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: verification_events fk_verification_events_agent; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.verification_events
    ADD CONSTRAINT fk_verification_events_agent FOREIGN KEY (agent_id) REFERENCES public.agents(id) ON DELETE CASCADE;


--
-- Name: verification_events fk_verification_events_mcp_server; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.verification_events
    ADD CONSTRAINT fk_verification_events_mcp_server FOREIGN KEY (mcp_server_id) REFERENCES public.mcp_servers(id) ON DELETE CASCADE;


--
-- Name: verification_events fk_verification_events_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.verification_events
    ADD CONSTRAINT fk_verification_events_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- Name: webhook_deliveries fk_webhook_deliveries_webhook; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (webhook_id) REFERENCES public.webhooks(id) ON DELETE CASCADE;


--
-- Name: webhooks fk_webhooks_created_by; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhooks
    ADD CONSTRAINT fk_webhooks_created_by FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: webhooks fk_webhooks_organization; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhooks
    ADD CONSTRAINT fk_webhooks_organization FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

