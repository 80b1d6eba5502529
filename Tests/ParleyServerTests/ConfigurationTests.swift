import EventLog
import Foundation
import ParleyServer
import Testing

@Suite struct ConfigurationTests {
    private func write(_ json: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/parley.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func defaultsFileAndFlagsAreLayeredInThatOrder() throws {
        let directory = TemporaryDirectory()
        let file = try write(
            #"""
            {"dataDirectory": "/srv/parley", "port": 9000, "logLevel": "debug", "maxBodyBytes": 4096,
             "segmentBytes": 1048576, "preallocationBytes": 0}
            """#,
            in: directory
        )
        let fromFile = try ServerConfiguration.resolve(file: file, overrides: .init())
        #expect(fromFile.dataDirectory == "/srv/parley")
        #expect(fromFile.host == "127.0.0.1")
        #expect(fromFile.port == 9000)
        #expect(fromFile.logLevel == "debug")
        #expect(fromFile.maxBodyBytes == 4096)
        #expect(fromFile.durability == "always")
        #expect(fromFile.resolvedSocketPath == "/srv/parley/parley.sock")
        #expect(fromFile.logOptions.segmentSize == 1 << 20)
        #expect(fromFile.logOptions.preallocationBytes == 0)

        let overridden = try ServerConfiguration.resolve(
            file: file,
            overrides: .init(dataDirectory: "/data", port: 0, socketPath: "/run/p.sock", durability: "interval:5")
        )
        #expect(overridden.dataDirectory == "/data")
        #expect(overridden.port == 0)
        #expect(overridden.resolvedSocketPath == "/run/p.sock")
        #expect(overridden.logOptions.durability == .interval(milliseconds: 5))
        #expect(overridden.logLevel == "debug")

        let noFile = try ServerConfiguration.resolve(file: nil, overrides: .init(dataDirectory: "d/"))
        #expect(noFile == ServerConfiguration(dataDirectory: "d/"))
        #expect(noFile.port == 8321)
        #expect(noFile.resolvedSocketPath == "d/parley.sock")
    }

    @Test(arguments: [
        (#"{"dataDirectory": "/d", "port": "80"}"#, "port", "port must be an integer"),
        (#"{"dataDirectory": "/d", "port": 70000}"#, "port", "port must be 0–65535, not 70000"),
        (#"{"dataDirectory": "/d", "prot": 80}"#, "prot", "unknown field \"prot\""),
        (#"{"dataDirectory": "/d", "host": ""}"#, "host", "host must not be empty"),
        (#"{"dataDirectory": ["/d"]}"#, "dataDirectory", "dataDirectory must be a string"),
        (#"{"dataDirectory": "/d", "durability": "sometimes"}"#, "durability", "durability must be always"),
        (#"{"dataDirectory": "/d", "logLevel": "loud"}"#, "logLevel", "logLevel must be one of trace"),
        (#"{"dataDirectory": "/d", "maxBodyBytes": 0}"#, "maxBodyBytes", "maxBodyBytes must be positive"),
        (#"{"port": 1}"#, "dataDirectory", "dataDirectory is required"),
        (#"{"dataDirectory": "/d", "demo": true, "host": "0.0.0.0"}"#, "host", "demo mode without accessKeys"),
        (#"{"dataDirectory": "/d", "accessKeys": {"short": "a-long-enough-secret"}}"#, "accessKeys", "16–128"),
        (#"{"dataDirectory": "/d", "accessKeys": {"AKIDLONGENOUGH0001": "short"}}"#, "accessKeys", "16 characters"),
        (#"{"dataDirectory": "/d", "concurrentActiveChats": 0}"#, "concurrentActiveChats", "at least 1"),
        (#"{"dataDirectory": "/d", "segmentBytes": 4096}"#, "segmentBytes", "at least 65536"),
        (#"{"dataDirectory": "/d", "preallocationBytes": -1}"#, "preallocationBytes", "must not be negative"),
    ])
    func aBadFieldIsNamed(json: String, field: String, message: String) throws {
        let directory = TemporaryDirectory()
        let file = try write(json, in: directory)
        #expect {
            _ = try ServerConfiguration.resolve(file: file, overrides: .init())
        } throws: { error in
            guard let error = error as? ServerError else { return false }
            return error.code == .invalidConfiguration && error.field == field && error.message.contains(message)
        }
    }

    @Test func aTooLongSocketPathIsRefusedBeforeAnythingStarts() {
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect {
            _ = try ServerConfiguration.resolve(file: nil, overrides: .init(dataDirectory: long))
        } throws: { error in
            (error as? ServerError)?.field == "socketPath"
        }
    }

    @Test func unreadableOrNonObjectFilesAreConfigurationFileErrors() throws {
        let directory = TemporaryDirectory()
        for content in ["not json", "[1, 2]"] {
            let file = try write(content, in: directory)
            #expect {
                _ = try ServerConfiguration.resolve(file: file, overrides: .init())
            } throws: { error in
                (error as? ServerError)?.code == .configurationFile
            }
        }
        #expect {
            _ = try ServerConfiguration.resolve(file: directory.path + "/missing.json", overrides: .init())
        } throws: { error in
            (error as? ServerError)?.code == .configurationFile
        }
    }

    @Test func theListeningLineIsOneJSONObject() {
        let addresses = ListeningAddresses(
            host: "127.0.0.1",
            port: 8321,
            socket: "/d/parley.sock",
            instance: nil,
            position: 7
        )
        #expect(
            addresses.jsonLine
                == #"{"event":"listening","http":"http://127.0.0.1:8321","instance":null,"port":8321,"#
                + #""position":7,"socket":"/d/parley.sock"}"#
        )
        #expect(
            ListeningAddresses(host: "::1", port: 1, socket: "s", instance: "i", position: 0).http == "http://[::1]:1"
        )
    }
}
