package io.sluice.server.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.and;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering docs/architecture.md draws, checked on the compiled classes of every module on the
 * server's class path: protocols are peers on the HTTP floor, they and the pipelines see the engine
 * only through its client interface, the engine sees no HTTP, runtimes see nothing above the SPI.
 */
class LayeringTest {
  private static JavaClasses sluice;

  @BeforeAll
  static void importMainClasses() {
    sluice =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice");
  }

  @Test
  void everyModuleIsImported() {
    for (String layer :
        new String[] {
          "io.sluice.api",
          "io.sluice.spi",
          "io.sluice.engine.client",
          "io.sluice.http",
          "io.sluice.protocol.kserve",
          "io.sluice.protocol.openai",
          "io.sluice.pipelines",
          "io.sluice.runtime.onnx",
          "io.sluice.server"
        }) {
      if (!sluice.containPackage(layer)) {
        throw new AssertionError(
            "no classes imported from " + layer + ": the rules below would pass vacuously");
      }
    }
  }

  @Test
  void protocolsDoNotDependOnEachOther() {
    slices().matching("io.sluice.protocol.(*)..").should().notDependOnEachOther().check(sluice);
  }

  @Test
  void theHttpFloorKnowsNoProtocol() {
    noClasses()
        .that()
        .resideInAPackage("io.sluice.http..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.sluice.protocol..", "io.sluice.server..")
        .check(sluice);
  }

  @Test
  void protocolsAndPipelinesSeeTheEngineOnlyThroughItsClientInterface() {
    noClasses()
        .that()
        .resideInAnyPackage("io.sluice.protocol..", "io.sluice.pipelines..", "io.sluice.http..")
        // The V2 client is the engine's remote hosting plug-in (it implements RemoteConnector), not
        // a route.
        .and()
        .resideOutsideOfPackage("io.sluice.protocol.kserve.client..")
        .should()
        .dependOnClassesThat(
            and(
                resideInAPackage("io.sluice.engine.."),
                resideOutsideOfPackage("io.sluice.engine.client..")))
        .check(sluice);
  }

  @Test
  void theEngineSeesNoHttpAndNoProtocol() {
    noClasses()
        .that()
        .resideInAPackage("io.sluice.engine..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.vertx..",
            "io.netty..",
            "io.grpc..",
            "io.sluice.http..",
            "io.sluice.protocol..",
            "io.sluice.server..",
            "io.sluice.pipelines..")
        .check(sluice);
  }

  @Test
  void runtimesSeeNothingAboveTheSpi() {
    noClasses()
        .that()
        .resideInAnyPackage("io.sluice.runtime..", "io.sluice.spi..", "io.sluice.transformers..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.vertx..",
            "io.sluice.engine..",
            "io.sluice.http..",
            "io.sluice.protocol..",
            "io.sluice.server..",
            "io.sluice.pipelines..")
        .check(sluice);
  }

  @Test
  void pipelinesSpeakNoProtocol() {
    noClasses()
        .that()
        .resideInAPackage("io.sluice.pipelines..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "io.sluice.http..", "io.sluice.protocol..")
        .check(sluice);
  }
}
