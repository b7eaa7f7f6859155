// swift-tools-version: 6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode plus the upcoming features the codebase is written for.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "balcao",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "balcao", targets: ["balcao"]),
        .library(name: "BalcaoTesting", targets: ["BalcaoTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", exact: "0.9.20"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", exact: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
    ],
    targets: [
        // MARK: Vector search (standard library only, plus runtime-dispatched C kernels)
        .target(name: "CVectorKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "VectorIndex", dependencies: ["CVectorKernels"], swiftSettings: swiftSettings),

        // MARK: Embeddings
        .target(name: "CEmbeddingKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "Embedding",
            dependencies: [
                "CEmbeddingKernels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Document extraction
        .systemLibrary(
            name: "CPoppler",
            pkgConfig: "poppler-glib",
            providers: [.apt(["libpoppler-glib-dev"])]
        ),
        .systemLibrary(
            name: "CTesseract",
            pkgConfig: "tesseract",
            providers: [.apt(["libtesseract-dev", "libleptonica-dev"])]
        ),
        .target(
            name: "OCR",
            dependencies: ["CTesseract"],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CAudio",
            pkgConfig: "opusfile",
            providers: [.apt(["libopusfile-dev", "libspeexdsp-dev"])]
        ),
        // whisper.cpp has no Debian package: scripts/fetch-whisper.sh (run by `make setup`) builds it static into
        // .build-whisper/prefix, whose headers the module map includes and whose libraries are linked into balcao.
        .systemLibrary(name: "CWhisper"),
        .target(
            name: "Speech",
            dependencies: ["CAudio", "CWhisper"],
            swiftSettings: swiftSettings,
            linkerSettings: [.unsafeFlags(["-L\(Context.packageDirectory)/.build-whisper/prefix/lib"])]
        ),
        .target(
            name: "Extraction",
            dependencies: ["CPoppler", "OCR", "Speech", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),

        // MARK: Storage, ingestion, retrieval
        .target(
            name: "Storage",
            dependencies: [
                "OpeningHours",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Business hours: weekly schedule, dated exceptions, Brazil's national holidays, the next opening in words
        // (Foundation only).
        .target(name: "OpeningHours", swiftSettings: swiftSettings),
        // glibc's posix_spawn extension that Swift's Glibc module does not show (children get only the descriptors given).
        .target(name: "CSpawn"),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "Storage", "Ingestion", "Retrieval", "Conversations", "Credits",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
            ],
            // The API's source: `make openapi` generates Generated/ from these two.
            exclude: ["openapi.json", "openapi-generator-config.yaml"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Ingestion",
            dependencies: [
                "Extraction", "Embedding", "OCR", "Speech", "Storage", "CSpawn",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Retrieval",
            dependencies: ["Storage", "Embedding", "VectorIndex", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // MARK: Answering customers
        .target(
            name: "WhatsApp",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WebChat",
            dependencies: [
                "Storage", "Conversations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Instagram",
            dependencies: ["WhatsApp"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LLM",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Credits",
            dependencies: [
                "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Answering",
            dependencies: ["Retrieval", "LLM", "OpeningHours", "Storage"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Conversations",
            dependencies: [
                "Answering", "Credits", "LLM", "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The admin web page (server-rendered; mounted by BalcaoApp under /admin)
        .target(
            name: "AdminWeb",
            dependencies: [
                "Storage", "Credits", "LLM", "WhatsApp", "Answering", "Conversations", "Ingestion", "Retrieval", "HTTPAPI", "OpeningHours",
                "WebChat",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // MARK: The daemon
        .target(
            name: "BalcaoApp",
            dependencies: [
                "Storage", "Ingestion", "Retrieval", "Embedding", "Extraction", "OCR", "Speech",
                "WhatsApp", "Instagram", "WebChat", "LLM", "Credits", "Answering", "Conversations", "AdminWeb", "HTTPAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "balcao",
            dependencies: [
                "BalcaoApp", "Answering", "Credits", "Embedding", "Retrieval", "Storage", "Ingestion", "AdminWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BalcaoTesting",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks and scoring tools (run by `make bench-*` / `make score-*`)
        .executableTarget(name: "ANNBenchmark", dependencies: ["VectorIndex"], path: "Benchmarks/ANNBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "EmbedBenchmark", dependencies: ["Embedding"], path: "Benchmarks/EmbedBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "ExtractBenchmark", dependencies: ["Extraction"], path: "Benchmarks/ExtractBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "OCRBenchmark", dependencies: ["OCR"], path: "Benchmarks/OCRBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "SpeechBenchmark", dependencies: ["Speech"], path: "Benchmarks/SpeechBenchmark", swiftSettings: swiftSettings),
        .executableTarget(
            name: "WebhookBenchmark",
            dependencies: [
                "BalcaoApp", "BalcaoTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/WebhookBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RetrievalScore",
            dependencies: ["Storage", "Embedding", "Retrieval", "VectorIndex", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/RetrievalScore",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .testTarget(name: "VectorIndexTests", dependencies: ["VectorIndex"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbeddingTests",
            dependencies: ["Embedding", "BalcaoTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "OpeningHoursTests", dependencies: ["OpeningHours"], swiftSettings: swiftSettings),
        .testTarget(name: "OCRTests", dependencies: ["OCR"], swiftSettings: swiftSettings),
        .testTarget(name: "SpeechTests", dependencies: ["Speech"], swiftSettings: swiftSettings),
        .testTarget(name: "ExtractionTests", dependencies: ["Extraction", "OCR"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: swiftSettings),
        .testTarget(
            name: "IngestionTests",
            dependencies: ["Ingestion", "Extraction", "OCR", "Storage", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RetrievalTests",
            dependencies: ["Retrieval", "Storage", "Embedding", "VectorIndex", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConversationsTests",
            dependencies: [
                "Conversations", "Answering", "BalcaoTesting", "Credits", "Retrieval", "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AnsweringTests",
            dependencies: ["Answering", "BalcaoTesting", "LLM", "Retrieval", "Storage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WhatsAppTests",
            dependencies: ["WhatsApp", "BalcaoTesting", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InstagramTests",
            dependencies: ["Instagram", "WhatsApp"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LLMTests", dependencies: ["LLM", "BalcaoTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CreditsTests",
            dependencies: ["Credits", "Storage", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AdminWebTests",
            dependencies: [
                "AdminWeb", "BalcaoApp", "BalcaoTesting", "Conversations", "Storage", "Credits", "OpeningHours",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BalcaoAppTests",
            dependencies: [
                "BalcaoApp", "BalcaoTesting", "AdminWeb", "Conversations", "Credits", "Ingestion", "Storage", "CPoppler", "OpeningHours",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
