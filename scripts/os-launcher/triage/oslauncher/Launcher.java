package triage.oslauncher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs one OpenSearch node inside this JVM for triage's tests and users.
 *
 * In: args[0] = the node's config directory holding opensearch.yml (path.home, path.data,
 * ports, ... are all set there by scripts/opensearch.sh).
 * Out: a node serving HTTP until SIGTERM, which closes it cleanly and exits 0.
 * Exit 1 when the node cannot be built or started (the cause goes to stderr).
 */
public final class Launcher {

    /** The modules a packaged OpenSearch would load from modules/, here from the classpath. */
    static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        CommonAnalysisPlugin.class,
        MapperExtrasPlugin.class,
        PainlessPlugin.class,
        MatrixAggregationPlugin.class);

    /** Node's constructor taking classpath plugins is protected: this subclass opens it. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Launcher <config dir holding opensearch.yml>");
            System.exit(2);
        }
        Path config = Path.of(args[0]).toAbsolutePath();
        Settings fromFile = Settings.builder().loadFromPath(config.resolve("opensearch.yml")).build();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            fromFile, Map.of(), config, () -> fromFile.get("node.name"));
        // Reads config/log4j2.properties: console only, which the script sends to a file.
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(environment.settings().get("node.name"));
        LogConfigurator.configure(environment);
        Files.createDirectories(environment.pluginsFile());
        Files.createDirectories(environment.modulesFile());

        Node node = new EmbeddedNode(environment, PLUGINS);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "triage-os-shutdown"));
        try {
            node.start();
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
        // The node's own threads are daemons: this keeps the JVM up until SIGTERM.
        closed.await();
    }
}
