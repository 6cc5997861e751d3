//! The Lua scripts: each one round trip, atomic on the server.

use redis::Script;

/// `SET NX PX`; when the key exists, its value and `PTTL` in the same reply.
/// KEYS[1] the event; ARGV[1] the in-flight value; ARGV[2] the lease in ms.
const CLAIM: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1}
end
return {0, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
";

/// Renews the lease while the stored value is still this claim's (it starts with the
/// claim's `f:<token>:`). ARGV[1] that prefix; ARGV[2] the lease in ms.
const EXTEND: &str = r"
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// Marks the event completed (`d:` in place of `f:`, token and fingerprint kept) for the
/// retention, or forgets it for a zero retention, while the stored value is still this
/// claim's. ARGV[1] the claim's prefix; ARGV[2] the retention in ms.
const COMPLETE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, #ARGV[1]) ~= ARGV[1] then
  return 0
end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], 'd' .. string.sub(v, 2), 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return 1
";

/// Deletes the key while the stored value is still this claim's. ARGV[1] the claim's prefix.
const RELEASE: &str = r"
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
";

/// The four scripts, hashed once.
pub(crate) struct Scripts {
    pub(crate) claim: Script,
    pub(crate) extend: Script,
    pub(crate) complete: Script,
    pub(crate) release: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            claim: Script::new(CLAIM),
            extend: Script::new(EXTEND),
            complete: Script::new(COMPLETE),
            release: Script::new(RELEASE),
        }
    }
}
