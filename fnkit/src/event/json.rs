//! The `event` trigger: any `Deserialize` type in, any `Serialize` type out, as JSON.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{parse_payload, trigger, FromEvent, Respond};
use crate::invocation::Invocation;
use crate::Error;

impl<D: DeserializeOwned> FromEvent<trigger::Event> for D {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        parse_payload(&invocation.payload, std::any::type_name::<D>())
    }
}

impl<S: Serialize> Respond<trigger::Event> for S {
    fn respond(self, _: &Invocation) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(&self).map_err(Error::marshal)
    }
}
