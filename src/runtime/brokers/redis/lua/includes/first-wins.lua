-- First-wins records: a final record (SUCCESS, FAILURE, REVOKED) is never
-- replaced, so a late copy of a task cannot overwrite its outcome.

-- Whether a stored record (JSON, or nil) is final: such a record is never replaced.
local function isFinalRecord(record)
  if not record then
    return false
  end
  local ok, parsed = pcall(cjson.decode, record)
  local state = ok and type(parsed) == 'table' and parsed.state
  return state == 'SUCCESS' or state == 'FAILURE' or state == 'REVOKED'
end

-- Stores `record` for `id` unless a final one is there; a final one wakes
-- waiters. Returns 1 when stored, 0 when refused.
local function storeFirstWins(prefix, id, record, ttlMs)
  if isFinalRecord(redis.call('GET', prefix .. 'r:' .. id)) then
    return 0
  end
  local ok, parsed = pcall(cjson.decode, record)
  local state = ok and type(parsed) == 'table' and parsed.state
  local final = (state == 'SUCCESS' or state == 'FAILURE' or state == 'REVOKED') and '1' or '0'
  storeResult(prefix, id, record, ttlMs, final)
  return 1
end
