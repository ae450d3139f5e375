//! A semaphore permit forgotten on an early return.

use std::sync::Arc;

use racewright::sync::Semaphore;

use crate::Variant;

/// A connection limit of one, guarding requests; one request fails validation.
///
/// Buggy: a request takes its permit with `forget()` and gives it back with
/// `add_permits(1)` at the end, by hand; the early return on a validation error skips
/// that line. Whenever the failing request runs first, the permit is gone and the
/// next request waits for it forever.
///
/// Fixed: the request keeps the RAII permit, which is given back on every path.
pub async fn scenario(variant: Variant) {
    let limit = Arc::new(Semaphore::new(1));
    let bad =
        racewright::task::Builder::new().name("bad request").spawn(request(limit.clone(), false, variant)).unwrap();
    let good =
        racewright::task::Builder::new().name("good request").spawn(request(limit.clone(), true, variant)).unwrap();
    assert!(bad.await.unwrap().is_err());
    assert!(good.await.unwrap().is_ok());
}

async fn request(limit: Arc<Semaphore>, valid: bool, variant: Variant) -> Result<(), &'static str> {
    match variant {
        Variant::Buggy => {
            limit.acquire().await.unwrap().forget();
            if !valid {
                return Err("invalid request");
            }
            racewright::task::yield_now().await;
            limit.add_permits(1);
            Ok(())
        }
        Variant::Fixed => {
            let _permit = limit.acquire().await.unwrap();
            if !valid {
                return Err("invalid request");
            }
            racewright::task::yield_now().await;
            Ok(())
        }
    }
}
