//! diesel table definitions; the SQL is in `migrations/{sqlite,postgres}`.

diesel::table! {
    regions (code) {
        code -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
        level -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    households (id) {
        id -> Text,
        household_code -> Text,
        division_code -> Text,
        group_name -> Text,
        registered_year -> Integer,
        poverty_status -> Text,
        exit_year -> Nullable<Integer>,
        attribute -> Text,
        main_cause -> Text,
        other_causes -> Text,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        datum -> Nullable<Text>,
        public_token -> Text,
        card_version -> Integer,
        version -> Integer,
        sync_seq -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    household_members (household_id, member_no) {
        household_id -> Text,
        member_no -> Integer,
        name -> Text,
        id_type -> Text,
        id_number -> Nullable<Text>,
        relation -> Text,
        sex -> Nullable<Text>,
        birth_date -> Nullable<Text>,
        pending_reason -> Nullable<Text>,
    }
}

diesel::table! {
    helpers (household_id, position) {
        household_id -> Text,
        position -> Integer,
        name -> Text,
        unit -> Text,
        title -> Text,
        phone -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        scope -> Text,
        disabled -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked -> Bool,
        device_id -> Nullable<Text>,
    }
}

diesel::table! {
    enrolments (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        device_id -> Nullable<Text>,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        model -> Text,
        enrolled_at -> Timestamp,
        last_seen_at -> Nullable<Timestamp>,
        app_version -> Nullable<Text>,
        unsent -> Nullable<Integer>,
        last_sync_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    token_probes (id) {
        id -> BigInt,
        client_key -> Text,
        token_key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    enrolment_failures (id) {
        id -> BigInt,
        client -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        entity -> Text,
        entity_id -> Text,
        action -> Text,
        old_version -> Nullable<Integer>,
        new_version -> Nullable<Integer>,
        detail -> Text,
        scope -> Nullable<Text>,
    }
}

diesel::joinable!(household_members -> households (household_id));
diesel::joinable!(helpers -> households (household_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(devices -> users (user_id));
diesel::joinable!(enrolments -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    regions,
    households,
    household_members,
    helpers,
    users,
    devices,
    enrolments,
    refresh_tokens
);

diesel::table! {
    visits (id) {
        id -> Text,
        household_id -> Text,
        division_code -> Text,
        level -> Text,
        inspector_user_id -> Text,
        inspector_username -> Text,
        body_sha256 -> Text,
        document -> Text,
        verified_on_site -> Bool,
        rule_version -> Text,
        started_at -> Timestamp,
        ended_at -> Timestamp,
        received_at -> Timestamp,
        review -> Text,
        replaces -> Nullable<Text>,
        superseded_by -> Nullable<Text>,
        seq -> BigInt,
        review_note -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        net_income_fen -> BigInt,
        budget_members -> Integer,
        geo_lat -> Nullable<Double>,
        geo_lon -> Nullable<Double>,
        answers_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    findings (id) {
        id -> Text,
        visit_id -> Nullable<Text>,
        household_id -> Text,
        division_code -> Text,
        position -> Integer,
        code -> Text,
        severity -> Text,
        field -> Nullable<Text>,
        member_no -> Nullable<Integer>,
        status -> Text,
        rule_version -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        seq -> BigInt,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    visit_blobs (visit_seq, sha256) {
        visit_seq -> BigInt,
        sha256 -> Text,
    }
}

diesel::table! {
    image_hashes (sha256) {
        sha256 -> Text,
        dhash -> BigInt,
        band0 -> Integer,
        band1 -> Integer,
        band2 -> Integer,
        band3 -> Integer,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    retired_tokens (token) {
        token -> Text,
        household_id -> Text,
        card_version -> Integer,
        retired_at -> Timestamp,
    }
}

diesel::table! {
    feedback (id) {
        id -> Text,
        reference -> Text,
        household_id -> Text,
        finding_id -> Text,
        token -> Text,
        client_key -> Text,
        kind -> Text,
        text -> Text,
        contact -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    samples (id) {
        id -> Text,
        scope -> Text,
        level -> Text,
        rate_permille -> Integer,
        seed -> BigInt,
        excluded -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        strategy -> Text,
        risk_picked -> Integer,
    }
}

diesel::table! {
    sample_households (sample_id, household_id) {
        sample_id -> Text,
        household_id -> Text,
        division_code -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(households, sample_households);
diesel::allow_tables_to_appear_in_same_query!(households, visits);
diesel::allow_tables_to_appear_in_same_query!(findings, visits);
diesel::allow_tables_to_appear_in_same_query!(visit_blobs, visits);
