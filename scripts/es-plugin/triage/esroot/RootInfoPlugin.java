package triage.esroot;

import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

/** Answers GET / and HEAD / with node name, cluster name/uuid and build info. */
public final class RootInfoPlugin extends Plugin implements ActionPlugin {
    private volatile ClusterService clusterService;

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService = services.clusterService();
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(
            RestHandlersServices services, Supplier<DiscoveryNodes> nodes, Predicate<NodeFeature> features) {
        return List.of(new RootHandler());
    }

    private final class RootHandler extends BaseRestHandler {
        @Override
        public String getName() {
            return "triage_root_info";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            return channel -> {
                Build build = Build.current();
                XContentBuilder out = channel.newBuilder();
                out.startObject();
                out.field("name", clusterService.getNodeName());
                out.field("cluster_name", clusterService.getClusterName().value());
                out.field("cluster_uuid", clusterService.state().metadata().clusterUUID());
                out.startObject("version");
                out.field("number", build.qualifiedVersion());
                out.field("build_flavor", build.flavor());
                out.field("build_type", build.type().displayName());
                out.field("build_hash", build.hash());
                out.field("build_date", build.date());
                out.field("build_snapshot", build.isSnapshot());
                out.field("lucene_version", org.apache.lucene.util.Version.LATEST.toString());
                out.field("minimum_wire_compatibility_version", build.minWireCompatVersion());
                out.field("minimum_index_compatibility_version", build.minIndexCompatVersion());
                out.endObject();
                out.field("tagline", "You Know, for Search");
                out.endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, out));
            };
        }
    }
}
