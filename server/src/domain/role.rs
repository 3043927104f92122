//! Roles, ordered by rank: a user may only create users of a rank and scope
//! no wider than their own.

crate::str_enum! {
    /// What a signed-in user may do; every role also carries a region scope.
    Role {
        Enumerator => "enumerator", "核查员";
        VillageOffice => "village_office", "村委会";
        Supervisor => "supervisor", "督导";
        Admin => "admin", "管理员";
    }
}

impl Role {
    pub fn rank(self) -> u8 {
        match self {
            Role::Enumerator => 1,
            Role::VillageOffice => 2,
            Role::Supervisor => 3,
            Role::Admin => 4,
        }
    }
}
