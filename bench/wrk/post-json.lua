-- wrk: every request a POST of the same small JSON object (the Invoke API's payload, or the
-- HTTP mode's echo route).
wrk.method = "POST"
wrk.body = '{"order":"o-1","items":[{"sku":"a","qty":2}],"note":"fnkit bench"}'
wrk.headers["Content-Type"] = "application/json"
