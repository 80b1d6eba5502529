import CSQLite
import EventLog

let pool = EventPool(count: 262_144)
print(pool.meanBinaryBytes, pool.meanJSONBytes, pool.typeShares)
for i in 0..<12 { print(String(decoding: pool.json[i], as: UTF8.self), terminator: "") }
