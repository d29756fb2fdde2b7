//! First-start identity setup of `palisade serve`: the key-encryption key, the identity
//! directory, the organization store and the network (VPCs, VPC endpoints) over the server's
//! storage, and the administrator of
//! the server's own account.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade_api::Identity;
use palisade_directory::{AdminKey, Directory, KeyProvider, Secret};
use palisade_organizations::Organizations;
use palisade_storage::Storage;

/// Where the key that encrypts secret access keys comes from.
pub struct KeySource {
    /// `PALISADE_MASTER_KEY`: the base64 text of 32 bytes.
    pub env_key: Option<String>,
    /// `--master-key-file`: a file outside the data directory (created when missing).
    pub file: PathBuf,
}

/// Opens the directory and the organization store and makes sure the account's administrator
/// exists, writing a generated key to `<data-dir>/admin-credentials`.
pub async fn open(
    storage: Arc<dyn Storage>,
    keys: KeySource,
    data_dir: &Path,
    account: &str,
) -> Result<Identity, String> {
    let provider = match keys.env_key {
        Some(b64) => KeyProvider::Base64(b64),
        None => {
            if keys.file.starts_with(data_dir) {
                tracing::warn!(
                    path = %keys.file.display(),
                    "the master key file is inside the data directory: a copy of the data is then a copy of every secret"
                );
            }
            KeyProvider::File(keys.file)
        }
    };
    let directory = Directory::open(Arc::clone(&storage), provider)
        .map_err(|e| format!("cannot open the identity directory: {e}"))?;
    let organizations = Organizations::open(Arc::clone(&storage))
        .map_err(|e| format!("cannot open the organization store: {e}"))?;
    let network = palisade_network::Network::open(storage)
        .map_err(|e| format!("cannot open the network store: {e}"))?;
    let admin = match (
        std::env::var("PALISADE_ADMIN_ACCESS_KEY_ID"),
        std::env::var("PALISADE_ADMIN_SECRET_ACCESS_KEY"),
    ) {
        (Ok(id), Ok(secret)) => AdminKey::FromEnv {
            id,
            secret: Secret::new(secret),
        },
        _ => AdminKey::Generate,
    };
    let generated = directory
        .ensure_admin(account, admin)
        .await
        .map_err(|e| format!("cannot create the administrator: {e}"))?;
    if let Some((id, secret)) = generated {
        let path = data_dir.join("admin-credentials");
        write_credentials(&path, &id, &secret)?;
        eprintln!("palisade: administrator key written to {}", path.display());
    }
    Ok(Identity {
        directory: Arc::new(directory),
        organizations: Arc::new(organizations),
        network: Arc::new(network),
        signing_keys: palisade_sigv4::SigningKeyCache::default(),
        table_policies: palisade_api::authorizer::PolicyCache::default(),
    })
}

/// Writes an AWS shared-credentials file readable by its owner only.
fn write_credentials(path: &Path, id: &str, secret: &Secret) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    writeln!(
        file,
        "[default]\naws_access_key_id = {id}\naws_secret_access_key = {}",
        secret.expose()
    )
    .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
