//! Where the paths a tenant config names may lead: its database and the
//! component files it loads. They are read relative to the config's folder
//! and stay inside it, so a config cannot write a database over another
//! tenant's or load a module from somewhere else on the machine, unless the
//! operator (not the config) allows paths anywhere.

use std::path::{Component, Path, PathBuf};

/// How far the paths in a config may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PathScope {
    /// Inside the config's folder (the default).
    #[default]
    TenantFolder,
    /// Anywhere: the operator said so (`--allow-paths-outside-tenant`).
    Anywhere,
}

/// How the operator allows paths anywhere, for messages.
pub const ALLOW_ANYWHERE: &str = "the operator can allow paths outside it with `--allow-paths-outside-tenant` (or TRESTLE_ALLOW_PATHS_OUTSIDE_TENANT=1)";

impl PathScope {
    /// `path` as the config at `folder` means it: relative to that folder,
    /// and inside it unless this scope is `Anywhere`. `key` names the
    /// setting for the error.
    pub fn resolve(self, folder: &Path, key: &str, path: &Path) -> anyhow::Result<PathBuf> {
        if self == PathScope::TenantFolder {
            let escapes = path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
            if escapes {
                anyhow::bail!(
                    "`{key}` = {:?} leads outside the tenant's folder {}: paths in a tenant config are relative to \
                     its folder and may not be absolute or use `..`; {ALLOW_ANYWHERE}",
                    path.display().to_string(),
                    folder.display()
                );
            }
        }
        Ok(folder.join(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_in_the_tenant_folder_unless_the_operator_allows_more() {
        let folder = Path::new("/tenants/a");
        let inside = PathScope::TenantFolder.resolve(folder, "database", Path::new("data/./t.db")).unwrap();
        assert_eq!(inside, Path::new("/tenants/a/data/./t.db"));
        for outside in ["/etc/x.db", "../b/trestle.db", "data/../../b.db"] {
            let err = PathScope::TenantFolder.resolve(folder, "database", Path::new(outside)).unwrap_err().to_string();
            assert!(err.contains("`database`") && err.contains("outside the tenant's folder /tenants/a"), "{err}");
            assert!(err.contains("--allow-paths-outside-tenant"), "{err}");
            assert!(PathScope::Anywhere.resolve(folder, "database", Path::new(outside)).is_ok());
        }
    }
}
