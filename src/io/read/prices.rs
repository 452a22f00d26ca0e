//! The prices file `wattshift shard` reads (docs/FORMAT.md §4, "bound and shard"): the
//! decomposition's prices as JSON, checked as any input is.

use crate::domain::instance::Instance;
use crate::error::InputError;
use crate::solvers::lagrange::{Prices, PricesFile};

/// The largest magnitude a price may have, EUR per core, GiB or busy core in a window. The
/// decomposition's prices are of the order of a host's cost per window; this leaves room for any
/// real fleet while keeping every sum a shard adds finite.
pub const MAX_PRICE_MAGNITUDE: f64 = 1e15;

/// Reads the prices in `text` (the file `name`) for `instance`: the shape must be the
/// instance's windows × sites, and every price a finite number of magnitude at most
/// [`MAX_PRICE_MAGNITUDE`]. The prices price an equality (a site's load equals the load of the
/// VMs placed there), so either sign is a valid price.
pub fn parse_prices(name: &str, text: &str, instance: &Instance) -> Result<Prices, InputError> {
    let file: PricesFile = serde_json::from_str(text).map_err(|e| {
        InputError::at_line(
            name,
            e.line() as u64,
            format!(
                "not the prices JSON that `wattshift bound --shards` writes ({{\"windows\", \
                 \"sites\", \"cpu\", \"mem\", \"busy\"}}): {e}"
            ),
        )
    })?;
    let (windows, sites) = (instance.num_windows(), instance.num_sites());
    if (file.windows, file.sites) != (windows, sites) {
        return Err(InputError::file(
            name,
            format!(
                "prices for {} windows x {} sites, but the instance has {windows} x {sites}",
                file.windows, file.sites
            ),
        ));
    }
    for (family, values) in [("cpu", &file.cpu), ("mem", &file.mem), ("busy", &file.busy)] {
        if values.len() != windows * sites {
            return Err(InputError::file(
                name,
                format!(
                    "{family}: expected {} prices (windows x sites), found {}",
                    windows * sites,
                    values.len()
                ),
            ));
        }
        if let Some((k, &value)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && v.abs() <= MAX_PRICE_MAGNITUDE))
        {
            return Err(InputError::file(
                name,
                format!(
                    "{family}[{k}] (window {}, site {}): expected a finite price of magnitude at \
                     most {MAX_PRICE_MAGNITUDE:e} EUR, found {value:e}",
                    k / sites,
                    instance.sites[k % sites].id
                ),
            ));
        }
    }
    Prices::try_from(file).map_err(|message| InputError::file(name, message))
}
