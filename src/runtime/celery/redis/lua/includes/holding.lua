-- What tq's holders hash keeps per delivery tag a tq worker holds:
-- "token\nqueue\nkind\nrest", kind 'v' (a kombu message in `unacked`; rest is
-- its length, to cut it back out of the unacked entry) or 'x' (not a kombu
-- message, never in `unacked`; rest is the raw element itself).
local function holding(token, queue, kind, rest)
  return token .. '\n' .. queue .. '\n' .. kind .. '\n' .. rest
end

-- token, queue, kind, rest of a holding, or nil.
local function parseHolding(value)
  if not value then return nil end
  local a = string.find(value, '\n', 1, true)
  local b = string.find(value, '\n', a + 1, true)
  return string.sub(value, 1, a - 1), string.sub(value, a + 1, b - 1), string.sub(value, b + 1, b + 1), string.sub(value, b + 3)
end

-- The raw message of a tq-held delivery: cut out of its `unacked` entry
-- ('[' .. raw .. ', exchange, rk]', written by take.lua), or the element itself.
local function heldRaw(unackedKey, tag, kind, rest)
  if kind == 'x' then return rest end
  local entry = redis.call('HGET', unackedKey, tag)
  if not entry then return nil end
  return string.sub(entry, 2, 1 + tonumber(rest))
end

-- Forgets a tq-held delivery everywhere: kombu's unacked entry, tq's lease and holding.
local function forget(unackedKey, indexKey, leasesKey, holdersKey, tag)
  redis.call('HDEL', unackedKey, tag)
  redis.call('ZREM', indexKey, tag)
  redis.call('ZREM', leasesKey, tag)
  redis.call('HDEL', holdersKey, tag)
end

-- Whether `tag` is held under `token` (the fence of every tq verb on a delivery).
local function holds(holdersKey, tag, token)
  local t = parseHolding(redis.call('HGET', holdersKey, tag))
  return t ~= nil and t == token
end

-- `text` with the last plain occurrence of `find` replaced by `with`.
local function replaceLast(text, find, with)
  local at, last = 0, nil
  while true do
    local s = string.find(text, find, at + 1, true)
    if not s then break end
    last, at = s, s
  end
  if not last then return text end
  return string.sub(text, 1, last - 1) .. with .. string.sub(text, last + #find)
end
