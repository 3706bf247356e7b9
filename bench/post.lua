-- wrk script: POST the body in $BODY_FILE, as JSON unless $CONTENT_TYPE says otherwise; $EXTRA_HEADER
-- ("Name: value") adds a header.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"
local extra = os.getenv("EXTRA_HEADER")
if extra then
  local name, value = extra:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end
