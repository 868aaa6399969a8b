//! The run's page in the W&B app and the entity the server used (issue 23, item 3): known
//! for an online run once the uploader's first `UpsertBucket` answered; an offline or
//! disabled run has none (`wandb-media sync` prints it when it uploads the run).

use super::Run;
use crate::error::{Error, Result};
use crate::online::app_url::RunLocation;

impl Run {
    /// Where the server put this run: `Err(Unsupported)` for an offline or disabled run
    /// (it never has a URL), `Err(State)` while the server has not created the run yet
    /// (the uploader works in the background; the URL is also announced through the log
    /// handler when it becomes known). Never waits for the network.
    pub fn location(&self) -> Result<RunLocation> {
        let Some(slot) = &self.location else {
            return Err(Error::unsupported(if self.disabled {
                "a disabled run has no URL"
            } else {
                "an offline run has no URL: it gets one when it is uploaded (`wandb-media sync <run dir>` prints it)"
            }));
        };
        slot.get().ok_or_else(|| {
            Error::state(
                "the run's URL is not known yet: the server has not created the run (yet); \
                 it is known (and logged as \"View run at …\") once the server answered",
            )
        })
    }

    /// The run's page in the app: `<app>/<entity>/<project>/runs/<id>` (see
    /// [`crate::online::app_url`]); errors as [`Run::location`].
    pub fn url(&self) -> Result<String> {
        self.location().map(|l| l.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn offline_and_disabled_runs_have_no_url() {
        let dir = tempfile::tempdir().unwrap();
        let opts = crate::run::RunOptions {
            mode: crate::online::Mode::Offline,
            disable_stats: true,
            ..Default::default()
        };
        let run = Run::open(dir.path(), opts).unwrap();
        let e = run.url().unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
        assert!(
            e.message.contains("offline run has no URL"),
            "{}",
            e.message
        );
        run.finish(0).unwrap();
        let opts = crate::run::RunOptions {
            mode: crate::online::Mode::Disabled,
            ..Default::default()
        };
        let run = Run::open(dir.path(), opts).unwrap();
        assert_eq!(run.url().unwrap_err().kind, ErrorKind::Unsupported);
    }
}
