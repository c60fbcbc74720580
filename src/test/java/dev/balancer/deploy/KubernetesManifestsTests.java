package dev.balancer.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Probe;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import io.kubernetes.client.util.Yaml;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The manifests in {@code config/kubernetes} parse strictly against the Kubernetes API model and agree with
 * the image and the application: ports, probe paths, the configuration path, the user, the drain time.
 */
class KubernetesManifestsTests {

	static final List<String> RESOURCES = List.of("deployment.yaml", "service.yaml", "pod-disruption-budget.yaml",
			"horizontal-pod-autoscaler.yaml");

	final V1Deployment deployment = Deployables.only("deployment.yaml", V1Deployment.class);

	final V1PodSpec pod = this.deployment.getSpec().getTemplate().getSpec();

	final V1Container container = this.pod.getContainers().get(0);

	@Test
	void everyManifestIsListedInTheKustomizationAndParsesStrictly() throws IOException {
		try (Stream<Path> files = Files.list(Deployables.KUBERNETES)) {
			List<String> manifests = files.map((file) -> file.getFileName().toString())
				.filter((name) -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
				.toList();
			assertThat(manifests).containsExactlyInAnyOrderElementsOf(RESOURCES);
		}
		String kustomization = Deployables.read(Deployables.KUBERNETES.resolve("kustomization.yaml"));
		RESOURCES.forEach((resource) -> assertThat(kustomization).contains("- " + resource));
		assertThat(Deployables.only("service.yaml", V1Service.class)).isNotNull();
		assertThat(Deployables.only("pod-disruption-budget.yaml", V1PodDisruptionBudget.class)).isNotNull();
		assertThat(Deployables.only("horizontal-pod-autoscaler.yaml", V2HorizontalPodAutoscaler.class)).isNotNull();
	}

	@Test
	void theParserRejectsUnknownFieldsAndWrongTypes() {
		assertThatThrownBy(() -> Yaml.loadAll("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {portz: []}\n"))
			.hasMessageContaining("portz");
		assertThatThrownBy(() -> Yaml.loadAll("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
				+ "spec: {ports: [{port: eighty}]}\n")).isNotNull();
	}

	@Test
	void twoReplicasRollOutWithoutLosingOne() {
		assertThat(this.deployment.getSpec().getReplicas()).isEqualTo(2);
		assertThat(this.deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
		assertThat(this.deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntValue())
			.isZero();
	}

	@Test
	void portsAreTheOnesTheImageExposesAndTheApplicationListensOn() {
		assertThat(this.container.getPorts()).extracting(V1ContainerPort::getName, V1ContainerPort::getContainerPort)
			.containsExactlyInAnyOrder(tuple("http", port("server.port")),
					tuple("management", port("management.server.port")));
		assertThat(Deployables.dockerfile("EXPOSE").split("\\s+")).containsExactlyInAnyOrder(
				Deployables.builtIn("server.port"), Deployables.builtIn("management.server.port"));

		V1Service service = Deployables.only("service.yaml", V1Service.class);
		assertThat(service.getSpec().getPorts()).singleElement().satisfies((port) -> {
			assertThat(port.getPort()).isEqualTo(port("server.port"));
			assertThat(port.getTargetPort().getStrValue()).isEqualTo("http");
		});
		assertThat(service.getSpec().getSelector())
			.isEqualTo(this.deployment.getSpec().getSelector().getMatchLabels());
	}

	@Test
	void probesUseTheActuatorGroupsOnTheManagementPort() {
		assertThat(this.container.getStartupProbe()).isNotNull();
		for (V1Probe probe : List.of(this.container.getStartupProbe(), this.container.getLivenessProbe(),
				this.container.getReadinessProbe())) {
			assertThat(probe.getHttpGet().getPort().getStrValue()).isEqualTo("management");
		}
		assertThat(this.container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
		assertThat(this.container.getReadinessProbe().getHttpGet().getPath())
			.isEqualTo("/actuator/health/readiness");
		assertThat(Deployables.builtIn("management.endpoint.health.probes.enabled")).isEqualTo("true");

		var annotations = this.deployment.getSpec().getTemplate().getMetadata().getAnnotations();
		assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
			.containsEntry("prometheus.io/port", Deployables.builtIn("management.server.port"))
			.containsEntry("prometheus.io/path", "/actuator/prometheus");
	}

	@Test
	void configurationIsMountedWhereSpringBootReadsIt() {
		V1VolumeMount mount = mount("config");
		assertThat(mount.getMountPath()).isEqualTo(Deployables.dockerfile("WORKDIR") + "/config");
		assertThat(mount.getReadOnly()).isTrue();
		V1Volume volume = volume("config");
		String kustomization = Deployables.read(Deployables.KUBERNETES.resolve("kustomization.yaml"));
		assertThat(kustomization).contains("- name: " + volume.getConfigMap().getName())
			.contains("- application.yml=balancer.yml");
	}

	@Test
	void runsLockedDown() {
		assertThat(this.pod.getSecurityContext().getRunAsNonRoot()).isTrue();
		assertThat(this.pod.getSecurityContext().getRunAsUser() + ":" + this.pod.getSecurityContext().getRunAsGroup())
			.as("the image's USER").isEqualTo(Deployables.dockerfile("USER"));
		assertThat(this.container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
		assertThat(this.container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
		assertThat(this.container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
		assertThat(mount("tmp").getMountPath()).isEqualTo("/tmp");
		assertThat(volume("tmp").getEmptyDir()).isNotNull();
		assertThat(this.container.getResources().getRequests()).containsKeys("cpu", "memory");
		assertThat(this.container.getResources().getLimits()).containsKeys("cpu", "memory");
	}

	/**
	 * Beside its heap the process holds Netty's buffers, which may grow to the heap's size (the JVM's default limit
	 * for them), and 150-200 MB for the rest of the JVM: the heap a pod's {@code MaxRAMPercentage} gives it must
	 * leave that in the memory limit, or Kubernetes kills the pod. The manifests once gave 75% of 512 MiB, and the
	 * process grew to 560-630 MB under uploads.
	 */
	@Test
	void theHeapLeavesRoomInTheMemoryLimitForWhatTheProcessUsesBesideIt() {
		String javaOptions = this.container.getEnv().stream().filter((variable) -> variable.getName().equals("JAVA_OPTS"))
			.findFirst().orElseThrow().getValue();
		Matcher percentage = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(javaOptions);
		assertThat(percentage.find()).as("MaxRAMPercentage in " + javaOptions).isTrue();
		long limit = this.container.getResources().getLimits().get("memory").getNumber().longValueExact();
		long heap = limit * Integer.parseInt(percentage.group(1)) / 100;

		assertThat(limit - 2 * heap).as("bytes beside the heap and as much of Netty's buffers")
			.isGreaterThanOrEqualTo(150L * 1024 * 1024);
		assertThat(this.container.getResources().getRequests().get("memory")).as("request")
			.isEqualTo(this.container.getResources().getLimits().get("memory"));
		assertThat(Deployables.dockerfile("ENV")).as("the image's default")
			.isEqualTo("JAVA_OPTS=\"" + javaOptions + "\"");
	}

	@Test
	void podsGetLongerToStopThanTheyTakeToDrain() {
		long preStop = Long.parseLong(this.container.getLifecycle().getPreStop().getExec().getCommand().get(1));
		Duration drain = Deployables.builtInDuration("spring.lifecycle.timeout-per-shutdown-phase");
		assertThat(this.container.getLifecycle().getPreStop().getExec().getCommand().get(0)).isEqualTo("sleep");
		assertThat(this.pod.getTerminationGracePeriodSeconds()).isGreaterThan(preStop + drain.toSeconds());
	}

	@Test
	void disruptionsAndAutoscalingKeepAtLeastOnePod() {
		V1PodDisruptionBudget budget = Deployables.only("pod-disruption-budget.yaml", V1PodDisruptionBudget.class);
		assertThat(budget.getSpec().getMinAvailable().getIntValue()).isPositive();
		assertThat(budget.getSpec().getSelector().getMatchLabels())
			.isEqualTo(this.deployment.getSpec().getSelector().getMatchLabels());

		V2HorizontalPodAutoscaler autoscaler = Deployables.only("horizontal-pod-autoscaler.yaml",
				V2HorizontalPodAutoscaler.class);
		assertThat(autoscaler.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
		assertThat(autoscaler.getSpec().getScaleTargetRef().getName()).isEqualTo(this.deployment.getMetadata().getName());
		assertThat(autoscaler.getSpec().getMinReplicas()).isEqualTo(this.deployment.getSpec().getReplicas());
		assertThat(autoscaler.getSpec().getMetrics()).singleElement()
			.satisfies((metric) -> assertThat(metric.getResource().getName()).isEqualTo("cpu"));
	}

	@Test
	void kustomizeRendersValidObjectsWhereKubectlIsInstalled() throws Exception {
		Assumptions.assumeTrue(kubectlInstalled(), "kubectl is not installed");
		Path emptyConfig = Files.createTempFile("kubeconfig", ".yaml");
		try {
			// kubectl kustomize works offline; an empty KUBECONFIG makes sure it never calls a cluster (with none,
			// kubectl would try localhost:8080, which may be this very balancer).
			ProcessBuilder kustomize = new ProcessBuilder("kubectl", "kustomize", Deployables.KUBERNETES.toString());
			kustomize.environment().put("KUBECONFIG", emptyConfig.toString());
			Process process = kustomize.redirectErrorStream(true).start();
			String rendered = new String(process.getInputStream().readAllBytes());
			assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(process.exitValue()).as(rendered).isZero();

			List<Object> objects = Yaml.loadAll(rendered);
			assertThat(objects).hasSize(5);
			V1ConfigMap config = find(objects, V1ConfigMap.class);
			V1Deployment deployed = find(objects, V1Deployment.class);
			assertThat(config.getData()).containsOnlyKeys("application.yml");
			assertThat(config.getMetadata().getName()).as("named after a hash of its content").startsWith("balancer-config-");
			assertThat(deployed.getSpec().getTemplate().getSpec().getVolumes())
				.anySatisfy((volume) -> assertThat(volume.getConfigMap().getName()).isEqualTo(config.getMetadata().getName()));
			assertThat(deployed.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
				.isEqualTo("balancer:0.1.0-SNAPSHOT");
		}
		finally {
			Files.deleteIfExists(emptyConfig);
		}
	}

	private static <T> T find(List<Object> objects, Class<T> type) {
		return objects.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
	}

	private V1VolumeMount mount(String name) {
		return this.container.getVolumeMounts().stream().filter((mount) -> mount.getName().equals(name))
			.findFirst().orElseThrow();
	}

	private V1Volume volume(String name) {
		return this.pod.getVolumes().stream().filter((volume) -> volume.getName().equals(name)).findFirst()
			.orElseThrow();
	}

	private static int port(String property) {
		return Integer.parseInt(Deployables.builtIn(property));
	}

	private static boolean kubectlInstalled() {
		try {
			return new ProcessBuilder("kubectl", "version", "--client").start().waitFor(30, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			return false;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

}
