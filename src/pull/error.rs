//! Why a build could not be pulled: each reason names what it was working on (the file, the
//! other build it would change). A build's failure is its outcome; the others are still
//! pulled. No I/O.

use std::path::PathBuf;

use crate::load::files::FileError;
use crate::reconcile::BuildId;
use crate::reconcile::pull::edit::EditError;

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("no build file describes it")]
    NoFile,
    #[error("its detail was not read from Zadig")]
    NoDetail,
    #[error("cannot read it: {0}")]
    Read(#[source] FileError),
    #[error("{} is outside the build folder {}: pull writes only inside it", path.display(), dir.display())]
    Outside { path: PathBuf, dir: PathBuf },
    #[error("{} is a symlink: pull never writes through one; edit what it points to by hand", path.display())]
    Symlink { path: PathBuf },
    #[error("two builds would write {} differently", path.display())]
    Conflict { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Edit {
        path: PathBuf,
        #[source]
        source: EditError,
    },
    #[error("cannot read the build folder again to check the edit: {0}")]
    Walk(#[source] FileError),
    #[error("after the edit the files would not load: {0}")]
    NotLoading(String),
    #[error("after the edit the files no longer describe it")]
    Gone,
    #[error("after the edit the file would still differ from Zadig at {fields}; pull it by hand")]
    StillDiffers { fields: String },
    #[error("the edit would change build {build} too (a file or script they share)")]
    ChangesOther { build: BuildId },
    #[error("pulled together with the other builds: {0}")]
    Together(String),
}
